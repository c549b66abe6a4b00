package dev.activationmonkey.trainer.network;

import dev.activationmonkey.snapshot.avro.LayerInfo;
import dev.activationmonkey.snapshot.avro.NetworkSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * A network's summary for RunStart: per layer (a graph: per vertex after the inputs, in the order and with the indices
 * of the snapshots' {@code layer_index}) its type, activation, weight init, sizes, parameters and dropout.
 */
public final class NetworkSummaries {
  private NetworkSummaries() {}

  public static NetworkSummary of(MultiLayerNetwork net) {
    String[] updater = {"none"};
    List<LayerInfo> layers = new ArrayList<>();
    for (int i = 0; i < net.getnLayers(); i++) {
      Layer l = net.getLayerWiseConfigurations().getConf(i).getLayer();
      layers.add(layer(i, l.getLayerName() == null ? "layer" + i : l.getLayerName(), l, net.getLayer(i).numParams(),
          updater));
    }
    return new NetworkSummary(net.numParams(), updater[0], layers);
  }

  public static NetworkSummary of(ComputationGraph graph) {
    String[] updater = {"none"};
    List<LayerInfo> layers = new ArrayList<>();
    dev.activationmonkey.trainer.listener.LayerInfo[] infos = dev.activationmonkey.trainer.listener.LayerInfo.of(graph);
    for (dev.activationmonkey.trainer.listener.LayerInfo info : infos) {
      if (info.hasLayer()) {
        org.deeplearning4j.nn.api.Layer layer = graph.getLayer(info.name());
        layers.add(layer(info.index(), info.name(), layer.conf().getLayer(), layer.numParams(), updater));
      } else {
        layers.add(new LayerInfo(info.index(), info.name(), info.type(), null, null, -1L, -1L, 0L, null, null, null));
      }
    }
    return new NetworkSummary(graph.numParams(), updater[0], layers);
  }

  private static LayerInfo layer(int index, String name, Layer l, long parameters, String[] updater) {
    Layer inner = dev.activationmonkey.trainer.listener.LayerInfo.unwrap(l);
    String activation = null;
    String weightInit = null;
    Double dropout = null;
    if (inner instanceof BaseLayer base) {
      activation = dev.activationmonkey.trainer.listener.LayerInfo.activationName(base.getActivationFn());
      weightInit = base.getWeightInitFn() == null ? null
          : base.getWeightInitFn().getClass().getSimpleName().replaceFirst("^WeightInit", "").toLowerCase(Locale.ROOT);
      if (base.getIUpdater() != null) {
        updater[0] = base.getIUpdater().toString();
      }
    }
    if (l.getIDropout() instanceof Dropout d) {
      dropout = 1 - d.getP();
    }
    long in = l instanceof FeedForwardLayer f ? f.getNIn() : inner instanceof FeedForwardLayer f ? f.getNIn() : -1;
    long out = l instanceof FeedForwardLayer f ? f.getNOut() : inner instanceof FeedForwardLayer f ? f.getNOut() : -1;
    String type = l == inner ? l.getClass().getSimpleName()
        : l.getClass().getSimpleName() + "(" + inner.getClass().getSimpleName() + ")";
    return new LayerInfo(index, name, type, activation, weightInit, in, out, parameters, dropout, null, null);
  }
}
