package dev.activationmonkey.trainer.listener;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the listener reads from a model, the same for a MultiLayerNetwork and a ComputationGraph: counters, layers,
 * parameter tables, the dense output layers and their inputs. Immutable; one per listener copy, built on first use.
 */
final class ModelView {
  private final LayerInfo[] layers;
  private final Map<String, LayerInfo> byKey = new HashMap<>();
  private final Map<String, String> outputInput;

  private ModelView(LayerInfo[] layers, Map<String, String> outputInput) {
    this.layers = layers;
    for (LayerInfo l : layers) {
      byKey.put(l.key(), l);
    }
    this.outputInput = outputInput;
  }

  static boolean supports(Model model) {
    return model instanceof MultiLayerNetwork || model instanceof ComputationGraph;
  }

  static ModelView of(Model model) {
    if (model instanceof ComputationGraph graph) {
      // A graph's output layers are left out of onForwardPass's map, as a MultiLayerNetwork's output layer is left
      // out of its list: where the output layer has one input, its activations are recomputed from that input.
      Map<String, String> inputs = new HashMap<>();
      for (String output : graph.getConfiguration().getNetworkOutputs()) {
        List<String> in = graph.getConfiguration().getVertexInputs().get(output);
        if (in != null && in.size() == 1) {
          inputs.put(output, in.get(0));
        }
      }
      return new ModelView(LayerInfo.of(graph), inputs);
    }
    return new ModelView(LayerInfo.of((MultiLayerNetwork) model), Map.of());
  }

  LayerInfo[] layers() {
    return layers;
  }

  /** The layer of a parameter table key ({@code 0_W}, {@code dense_1_RW}) and the parameter name, or null. */
  Map.Entry<LayerInfo, String> parameter(String key) {
    int underscore = key.lastIndexOf('_');
    // DL4J's parameter names (W, b, RW, gamma, log10stdev, fW, ...) never contain '_'; layer names may.
    while (underscore > 0) {
      LayerInfo layer = byKey.get(key.substring(0, underscore));
      if (layer != null) {
        return Map.entry(layer, key.substring(underscore + 1));
      }
      underscore = key.lastIndexOf('_', underscore - 1);
    }
    return null;
  }

  /** The vertex whose activations are a graph output layer's input, or null. */
  String outputLayerInput(String outputName) {
    return outputInput.get(outputName);
  }

  static long iteration(Model model) {
    return model instanceof ComputationGraph g ? g.getIterationCount() : ((MultiLayerNetwork) model).getIterationCount();
  }

  static int epoch(Model model) {
    return model instanceof ComputationGraph g ? g.getEpochCount() : ((MultiLayerNetwork) model).getEpochCount();
  }

  static Map<String, INDArray> parameters(Model model) {
    return model instanceof ComputationGraph g ? g.paramTable(false) : ((MultiLayerNetwork) model).paramTable(false);
  }

  /**
   * The {@code [batch, time]} mask of a recurrent layer's steps during this forward pass, or null: the layer's own if
   * it keeps one, else the model's features mask (a graph's single input mask; a MultiLayerNetwork's set with
   * {@code setMask}), else the labels mask DL4J keeps on the output layer during {@code fit}. DL4J's recurrent layers
   * pass masks through without keeping them, and a MultiLayerNetwork's {@code fit} keeps the features mask nowhere a
   * listener can read: for sequence-to-sequence data (features and labels masks alike) the labels mask is the one.
   * {@link RecurrentActivations} ignores a mask whose shape does not match.
   */
  static INDArray timeMask(Model model, LayerInfo info) {
    Layer own = layer(model, info);
    if (own != null && own.getMaskArray() != null) {
      return own.getMaskArray();
    }
    if (model instanceof ComputationGraph g) {
      INDArray[] inputs = g.getInputMaskArrays();
      if (inputs != null && inputs.length == 1 && inputs[0] != null) {
        return inputs[0];
      }
      INDArray[] labels = g.getLabelMaskArrays();
      return labels != null && labels.length == 1 ? labels[0] : null;
    }
    MultiLayerNetwork net = (MultiLayerNetwork) model;
    if (net.getMaskArray() != null) {
      return net.getMaskArray();
    }
    return net.getOutputLayer() == null ? null : net.getOutputLayer().getMaskArray();
  }

  /** The DL4J layer behind a layer (null for a graph vertex without one). */
  static Layer layer(Model model, LayerInfo info) {
    if (!info.hasLayer()) {
      return null;
    }
    return model instanceof ComputationGraph g ? g.getLayer(info.name())
        : ((MultiLayerNetwork) model).getLayer(info.index());
  }
}
