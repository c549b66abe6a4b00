package dev.activationmonkey.trainer.spec;

import java.util.List;

/**
 * The network: layers with the defaults they inherit, or a DL4J {@code MultiLayerConfiguration} JSON file.
 *
 * @param configurationJson path of a DL4J MultiLayerConfiguration JSON file, or null to build from layers
 * @param input feed-forward (flat features) or image (flat features read as height × width × channels)
 * @param imageHeight image input: height (MNIST: 28)
 * @param imageWidth image input: width
 * @param imageChannels image input: channels
 * @param weightInit default weight init of every layer
 * @param l1 default L1 on weights
 * @param l2 default L2 on weights
 * @param dropout default drop probability of every layer's input (0 = none)
 * @param updater optimiser and learning rate schedule
 * @param gradientNormalization a DL4J {@code GradientNormalization} mode
 * @param gradientNormalizationThreshold threshold of the clipping modes
 * @param layers the layers, first to output
 */
public record NetworkSpec(String configurationJson, String input, int imageHeight, int imageWidth, int imageChannels,
    String weightInit, double l1, double l2, double dropout, UpdaterSpec updater, String gradientNormalization,
    double gradientNormalizationThreshold, List<LayerSpec> layers) {

  public NetworkSpec {
    layers = List.copyOf(layers);
  }

  static NetworkSpec read(SpecNode n, DataSpec data) {
    String json = n.string("configuration-json", null);
    SpecNode in = n.object("input");
    boolean mnist = data.format().equals("mnist");
    List<SpecNode> layerNodes = n.objects("layers");
    boolean convolutional = layerNodes.stream().anyMatch(l -> {
      String t = l.string("type", "");
      return t.equalsIgnoreCase("convolution") || t.equalsIgnoreCase("subsampling");
    });
    String input = in.choice("type", convolutional ? "image" : "feed-forward", List.of("feed-forward", "image"));
    int height = in.integer("height", mnist ? 28 : 0, 0, 1 << 16);
    int width = in.integer("width", mnist ? 28 : 0, 0, 1 << 16);
    int channels = in.integer("channels", 1, 1, 1 << 16);
    if (input.equals("image") && (height < 1 || width < 1)) {
      throw in.invalidKey("height", "image input needs height and width (they default to 28 only for MNIST)");
    }
    in.done();
    String weightInit = Names.weightInit(n, "weight-init", "xavier");
    double l1 = n.number("l1", 0, 0, 10);
    double l2 = n.number("l2", 0, 0, 10);
    double dropout = n.number("dropout", 0, 0, 0.99);
    UpdaterSpec updater = UpdaterSpec.read(n.object("updater"));
    SpecNode gn = n.object("gradient-normalization");
    String mode = Names.gradientNormalization(gn, "mode", "none");
    double threshold = gn.number("threshold", 1.0, 0, 1e12);
    gn.done();
    List<LayerSpec> layers = layerNodes.stream().map(LayerSpec::read).toList();
    if (json != null && !layers.isEmpty()) {
      throw n.invalidKey("configuration-json", "set either configuration-json or layers, not both");
    }
    if (json == null) {
      if (layers.isEmpty()) {
        throw n.invalidKey("layers", "required: at least an output layer (or configuration-json)");
      }
      for (int i = 0; i < layers.size(); i++) {
        boolean last = i == layers.size() - 1;
        if (last != layers.get(i).type().equals("output")) {
          throw n.invalid(n.path() + ".layers[" + i + "].type",
              last ? "the last layer must be of type output" : "only the last layer may be of type output");
        }
      }
    }
    n.done();
    return new NetworkSpec(json, input, height, width, channels, weightInit, l1, l2, dropout, updater, mode,
        threshold, layers);
  }
}
