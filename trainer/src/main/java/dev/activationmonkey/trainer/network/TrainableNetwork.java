package dev.activationmonkey.trainer.network;

import dev.activationmonkey.snapshot.avro.NetworkSummary;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * What the trainer's own engine needs of a network, the same for a {@link MultiLayerNetwork} and a single-input,
 * single-output {@link ComputationGraph}: its parameters and updater state as flat views, the step and epoch counters,
 * a mini-batch step, a prediction, its configuration as JSON (to build the same network in an executor) and its
 * summary for RunStart. A network built for image input in DL4J's [batch, channels, height, width] layout (zoo
 * architectures) gets the flat rows of the data reshaped to that ({@link #imageInput()}).
 */
public sealed interface TrainableNetwork {

  static TrainableNetwork of(Model model) {
    return of(model, null);
  }

  /** @param imageInput {channels, height, width} that flat feature rows are reshaped to, or null to feed them as they are */
  static TrainableNetwork of(Model model, int[] imageInput) {
    if (model instanceof MultiLayerNetwork net) {
      return new Layered(net, imageInput);
    }
    if (model instanceof ComputationGraph graph) {
      return new Graph(graph, imageInput);
    }
    throw new IllegalArgumentException("not a MultiLayerNetwork or ComputationGraph: " + model.getClass().getName());
  }

  /** A new, initialised network of a configuration {@link #configurationJson()} returned. */
  static TrainableNetwork fromJson(boolean graph, String json, int[] imageInput) {
    if (graph) {
      ComputationGraph g = new ComputationGraph(ComputationGraphConfiguration.fromJson(json));
      g.init();
      return new Graph(g, imageInput);
    }
    MultiLayerNetwork net = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(json));
    net.init();
    return new Layered(net, imageInput);
  }

  /** {channels, height, width} that flat feature rows are reshaped to before the network sees them, or null. */
  int[] imageInput();

  Model model();

  boolean isGraph();

  String configurationJson();

  /** The flat parameter view (assigning to it sets the parameters). */
  default INDArray params() {
    return model().params();
  }

  /** The flat updater state view, or null when the updater keeps no state. */
  INDArray updaterState();

  int iterationCount();

  void setCounts(int iteration, int epoch);

  void fit(DataSet batch);

  default double score() {
    return model().score();
  }

  double score(DataSet batch);

  /** The network's output for the batch's features, in inference mode, with its masks (sequences of any length). */
  INDArray output(DataSet batch);

  default void setListeners(List<TrainingListener> listeners) {
    model().setListeners(listeners);
  }

  /** Units of the (first) output layer's bias, or -1 when it has none. */
  long outputUnits();

  /** Sizes of the layers, or vertex names of a graph, for the progress line. */
  String describe();

  NetworkSummary summary();

  private static INDArray shaped(INDArray features, int[] image) {
    if (image == null || features.rank() != 2) {
      return features;
    }
    return features.reshape('c', features.size(0), image[0], image[1], image[2]);
  }

  private static DataSet shaped(DataSet batch, int[] image) {
    if (image == null || batch.getFeatures().rank() != 2) {
      return batch;
    }
    return new DataSet(shaped(batch.getFeatures(), image), batch.getLabels(), batch.getFeaturesMaskArray(),
        batch.getLabelsMaskArray());
  }

  private static INDArray nonEmpty(INDArray view) {
    return view == null || view.length() == 0 ? null : view;
  }

  private static long biasLength(org.deeplearning4j.nn.api.Layer output) {
    INDArray b = output == null ? null : output.getParam("b");
    return b == null ? -1 : b.length();
  }

  record Layered(MultiLayerNetwork net, int[] imageInput) implements TrainableNetwork {
    @Override
    public Model model() {
      return net;
    }

    @Override
    public boolean isGraph() {
      return false;
    }

    @Override
    public String configurationJson() {
      return net.getLayerWiseConfigurations().toJson();
    }

    @Override
    public INDArray updaterState() {
      Updater updater = net.getUpdater();
      return updater == null ? null : nonEmpty(updater.getStateViewArray());
    }

    @Override
    public int iterationCount() {
      return net.getIterationCount();
    }

    @Override
    public void setCounts(int iteration, int epoch) {
      net.setIterationCount(iteration);
      net.setEpochCount(epoch);
    }

    /**
     * With a features mask (sequences of different lengths), the mask is also set as the network's own for the step:
     * DL4J's {@code fit} applies it to the layers but keeps it nowhere a listener can read, and the listener would
     * otherwise take the labels mask, which with one label per sequence marks only the last step. The network's own
     * mask is what {@code fit}'s forward pass is given anyway, so training is unchanged.
     */
    @Override
    public void fit(DataSet batch) {
      DataSet shaped = shaped(batch, imageInput);
      if (shaped.getFeaturesMaskArray() == null) {
        net.fit(shaped);
        return;
      }
      net.setMask(shaped.getFeaturesMaskArray());
      try {
        net.fit(shaped);
      } finally {
        net.setMask(null);
      }
    }

    @Override
    public double score(DataSet batch) {
      return net.score(shaped(batch, imageInput), false);
    }

    @Override
    public INDArray output(DataSet batch) {
      return net.output(shaped(batch.getFeatures(), imageInput), false, batch.getFeaturesMaskArray(),
          batch.getLabelsMaskArray());
    }

    @Override
    public long outputUnits() {
      return biasLength(net.getOutputLayer());
    }

    @Override
    public String describe() {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < net.getnLayers(); i++) {
        Layer l = net.getLayerWiseConfigurations().getConf(i).getLayer();
        b.append(i == 0 ? "" : "-").append(l instanceof FeedForwardLayer f ? String.valueOf(f.getNOut())
            : l.getClass().getSimpleName());
      }
      return "network " + b + " (" + String.format("%,d", net.numParams()) + " parameters)";
    }

    @Override
    public NetworkSummary summary() {
      return NetworkSummaries.of(net);
    }
  }

  record Graph(ComputationGraph graph, int[] imageInput) implements TrainableNetwork {
    @Override
    public Model model() {
      return graph;
    }

    @Override
    public boolean isGraph() {
      return true;
    }

    @Override
    public String configurationJson() {
      return graph.getConfiguration().toJson();
    }

    @Override
    public INDArray updaterState() {
      ComputationGraphUpdater updater = graph.getUpdater();
      return updater == null ? null : nonEmpty(updater.getStateViewArray());
    }

    @Override
    public int iterationCount() {
      return graph.getIterationCount();
    }

    @Override
    public void setCounts(int iteration, int epoch) {
      // The graph reads its counters from its configuration and hands them to its layers (schedules) on each fit.
      graph.getConfiguration().setIterationCount(iteration);
      graph.getConfiguration().setEpochCount(epoch);
    }

    @Override
    public void fit(DataSet batch) {
      graph.fit(shaped(batch, imageInput));
    }

    @Override
    public double score(DataSet batch) {
      return graph.score(shaped(batch, imageInput), false);
    }

    @Override
    public INDArray output(DataSet batch) {
      INDArray features = shaped(batch.getFeatures(), imageInput);
      if (batch.getFeaturesMaskArray() == null && batch.getLabelsMaskArray() == null) {
        return graph.outputSingle(false, features);
      }
      return graph.output(false, new INDArray[] {features}, new INDArray[] {batch.getFeaturesMaskArray()},
          new INDArray[] {batch.getLabelsMaskArray()})[0];
    }

    @Override
    public long outputUnits() {
      return biasLength(graph.getOutputLayer(0));
    }

    @Override
    public String describe() {
      return "graph " + String.join("-", NetworkSummaries.of(graph).getLayers().stream()
          .map(l -> l.getName().toString()).toList()) + " (" + String.format("%,d", graph.numParams()) + " parameters)";
    }

    @Override
    public NetworkSummary summary() {
      return NetworkSummaries.of(graph);
    }
  }
}
