package dev.activationmonkey.trainer.listener;

import dev.activationmonkey.trainer.stats.Saturation;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseRecurrentLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;

/**
 * What a snapshot says about its layer: name, DL4J type, activation function and its saturation range.
 *
 * @param index the layer's index in a MultiLayerNetwork; in a ComputationGraph the vertex's position in the graph's
 *     topological order, counting only non-input vertices (so 0 is the first vertex after the inputs)
 * @param name the layer's name (a MultiLayerNetwork's {@code layer<i>} unless named); a graph's vertex name
 * @param type the DL4J configuration class, e.g. DenseLayer, LSTM, Bidirectional(LSTM), MergeVertex
 * @param key the prefix of the layer's entries in DL4J's parameter and gradient tables ({@code <key>_W}): the layer
 *     index in a MultiLayerNetwork, the vertex name in a ComputationGraph
 * @param hasLayer false for a graph vertex without parameters or layer (merge, element-wise, subset, ...)
 * @param recurrent true when the layer's activations are a sequence per example: {@code [batch, units, time]}, or
 *     {@code [batch, time, units]} when {@code timeMajor}
 * @param timeMajor a recurrent layer in DL4J's NWC format (time before units)
 */
public record LayerInfo(int index, String name, String type, String activation, Saturation saturation, String key,
    boolean hasLayer, boolean recurrent, boolean timeMajor) {

  public static LayerInfo[] of(MultiLayerNetwork net) {
    int n = net.getnLayers();
    LayerInfo[] infos = new LayerInfo[n];
    for (int i = 0; i < n; i++) {
      Layer conf = net.getLayerWiseConfigurations().getConf(i).getLayer();
      String name = conf.getLayerName() == null ? "layer" + i : conf.getLayerName();
      infos[i] = forLayer(i, name, conf, String.valueOf(i));
    }
    return infos;
  }

  /** Every vertex of the graph but its inputs, in topological order (the order DL4J computes them in). */
  public static LayerInfo[] of(ComputationGraph graph) {
    GraphVertex[] vertices = graph.getVertices();
    List<LayerInfo> infos = new ArrayList<>();
    for (int v : graph.topologicalSortOrder()) {
      GraphVertex vertex = vertices[v];
      if (vertex.isInputVertex()) {
        continue;
      }
      String name = vertex.getVertexName();
      if (vertex.hasLayer()) {
        infos.add(forLayer(infos.size(), name, vertex.getLayer().conf().getLayer(), name));
      } else {
        org.deeplearning4j.nn.conf.graph.GraphVertex conf = graph.getConfiguration().getVertices().get(name);
        String type = conf == null ? vertex.getClass().getSimpleName() : conf.getClass().getSimpleName();
        infos.add(new LayerInfo(infos.size(), name, type, null, null, name, false, false, false));
      }
    }
    return infos.toArray(new LayerInfo[0]);
  }

  private static LayerInfo forLayer(int index, String name, Layer conf, String key) {
    Layer inner = unwrap(conf);
    String activation = inner instanceof BaseLayer base ? activationName(base.getActivationFn()) : null;
    String type = conf == inner ? conf.getClass().getSimpleName()
        : conf.getClass().getSimpleName() + "(" + inner.getClass().getSimpleName() + ")";
    // LastTimeStep's output is the last step's [batch, units]: a plain dense output.
    boolean recurrent = inner instanceof BaseRecurrentLayer && !(conf instanceof LastTimeStep);
    boolean timeMajor = recurrent && ((BaseRecurrentLayer) inner).getRnnDataFormat() == RNNFormat.NWC;
    return new LayerInfo(index, name, type, activation, Saturation.of(activation), key, true, recurrent, timeMajor);
  }

  /** The layer a wrapper (Bidirectional, LastTimeStep, ...) applies; the layer itself otherwise. */
  public static Layer unwrap(Layer conf) {
    Layer l = conf;
    for (int depth = 0; depth < 4; depth++) {
      if (l instanceof Bidirectional b) {
        l = b.getFwd();
      } else if (l instanceof BaseWrapperLayer w) {
        l = w.getUnderlying();
      } else {
        break;
      }
    }
    return l;
  }

  /** The lower-case {@link Activation} name of a DL4J activation function, e.g. relu, leakyrelu. */
  public static String activationName(IActivation fn) {
    if (fn == null) {
      return null;
    }
    for (Activation a : Activation.values()) {
      try {
        if (a.getActivationFunction().getClass() == fn.getClass()) {
          return a.name().toLowerCase(Locale.ROOT);
        }
      } catch (RuntimeException unsupported) {
        // Some enum constants have no standalone function object; skip them.
      }
    }
    return fn.getClass().getSimpleName().replaceFirst("^Activation", "").toLowerCase(Locale.ROOT);
  }
}
