package dev.activationmonkey.trainer.spec;

import java.util.List;
import java.util.Map;

/**
 * The network: layers with the defaults they inherit, a DL4J {@code MultiLayerConfiguration} JSON file, or a DL4J
 * {@code ComputationGraphConfiguration} JSON file.
 *
 * @param configurationJson path of a DL4J MultiLayerConfiguration JSON file, or null
 * @param graphJson path of a DL4J ComputationGraphConfiguration JSON file (one input, one output), or null
 * @param zoo a DL4J zoo architecture by name ({@link #ZOO}), built untrained for the data's image shape and classes,
 *     or null
 * @param input feed-forward (flat features), image (flat features read as height × width × channels) or recurrent
 *     (sequences {@code [batch, features, time]}, {@code data.format: csv-sequences})
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
public record NetworkSpec(String configurationJson, String graphJson, String zoo, String input, int imageHeight, int imageWidth, int imageChannels,
    String weightInit, double l1, double l2, double dropout, UpdaterSpec updater, String gradientNormalization,
    double gradientNormalizationThreshold, List<LayerSpec> layers) {

  public NetworkSpec {
    layers = List.copyOf(layers);
  }

  /**
   * DL4J zoo architectures {@code network.zoo} builds (each from its configuration with the data's classes, the
   * image shape of {@code network.input}, {@code training.seed} and {@code network.updater}; never pretrained weights).
   */
  public static final List<String> ZOO = List.of("LeNet", "SimpleCNN", "AlexNet", "VGG16", "VGG19", "ResNet50",
      "SqueezeNet", "Darknet19", "Xception");

  /**
   * The smallest square image an architecture builds for, where it is above MNIST's 28: its convolutions and pooling
   * shrink smaller images to nothing. Measured on deeplearning4j-zoo 1.0.0-M2 (each builds at this side and not one
   * below: {@code ZooArchitecturesTest}). DL4J's NASNet is left out of {@link #ZOO}: its 1.0.0-M2 configuration
   * builds for no input size ("Cannot calculate activation types if no inputs have been set").
   */
  public static final Map<String, Integer> ZOO_MIN_SIDE = Map.of("AlexNet", 43, "ResNet50", 69);

  /** Whether the network is a ComputationGraph from {@code graph-json} (zoo graphs are known only once built). */
  public boolean isGraph() {
    return graphJson != null;
  }

  static NetworkSpec read(SpecNode n, DataSpec data) {
    String json = n.string("configuration-json", null);
    String graphJson = n.string("graph-json", null);
    if (json != null && graphJson != null) {
      throw n.invalidKey("graph-json", "set either configuration-json or graph-json, not both");
    }
    String zoo = null;
    if (n.has("zoo")) {
      String name = n.string("zoo", null);
      zoo = ZOO.stream().filter(z -> z.equalsIgnoreCase(name)).findFirst().orElseThrow(() -> n.invalidKey("zoo",
          "unknown zoo architecture '" + name + "'; allowed: " + String.join(", ", ZOO)));
      if (json != null || graphJson != null) {
        throw n.invalidKey("zoo", "set one of zoo, configuration-json and graph-json");
      }
    }
    SpecNode in = n.object("input");
    boolean mnist = data.format().equals("mnist");
    boolean sequences = data.isSequences();
    List<SpecNode> layerNodes = n.objects("layers");
    boolean convolutional = zoo != null || layerNodes.stream().anyMatch(l -> {
      String t = l.string("type", "");
      return t.equalsIgnoreCase("convolution") || t.equalsIgnoreCase("subsampling");
    });
    String input = in.choice("type", sequences ? "recurrent" : convolutional ? "image" : "feed-forward",
        List.of("feed-forward", "image", "recurrent"));
    if (input.equals("recurrent") != sequences) {
      throw in.invalidKey("type", sequences ? "data.format: csv-sequences gives sequences: the input type is recurrent"
          : "recurrent input takes sequences: set data.format: csv-sequences");
    }
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
    if (graphJson != null && !layers.isEmpty()) {
      throw n.invalidKey("graph-json", "set either graph-json or layers, not both");
    }
    if (zoo != null && !layers.isEmpty()) {
      throw n.invalidKey("zoo", "set either zoo or layers, not both");
    }
    if (zoo != null && !input.equals("image")) {
      throw in.invalidKey("type", "zoo architectures take image input");
    }
    int minSide = zoo == null ? 0 : ZOO_MIN_SIDE.getOrDefault(zoo, 0);
    if (Math.min(height, width) < minSide) {
      throw n.invalidKey("zoo", zoo + " needs images of at least " + minSide + " x " + minSide + " (its convolutions "
          + "and pooling shrink smaller ones to nothing); the input is " + height + " x " + width + ": train it on "
          + "larger images (network.input height and width) or pick an architecture that takes these, e.g. LeNet, "
          + "SimpleCNN, VGG16, SqueezeNet, Darknet19 or Xception");
    }
    if (json == null && graphJson == null && zoo == null) {
      if (layers.isEmpty()) {
        throw n.invalidKey("layers", "required: at least an output layer (or configuration-json, graph-json or zoo)");
      }
      String output = sequences ? "rnn-output" : "output";
      for (int i = 0; i < layers.size(); i++) {
        boolean last = i == layers.size() - 1;
        LayerSpec layer = layers.get(i);
        String key = n.path() + ".layers[" + i + "].type";
        if (!sequences && (layer.isRecurrent() || layer.type().equals("rnn-output"))) {
          throw n.invalid(key, layer.type() + " takes sequences: set data.format: csv-sequences (or use dense and output)");
        }
        if (sequences && layer.type().equals("output")) {
          throw n.invalid(key, "sequences end in an rnn-output layer (an output per time step), not output");
        }
        if (sequences && (layer.type().equals("convolution") || layer.type().equals("subsampling"))) {
          throw n.invalid(key, layer.type() + " takes images, not sequences");
        }
        if (last != LayerSpec.OUTPUTS.contains(layer.type())) {
          throw n.invalid(key, last ? "the last layer must be of type " + output
              : "only the last layer may be of type " + layer.type());
        }
      }
    }
    n.done();
    return new NetworkSpec(json, graphJson, zoo, input, height, width, channels, weightInit, l1, l2, dropout, updater, mode,
        threshold, layers);
  }
}
