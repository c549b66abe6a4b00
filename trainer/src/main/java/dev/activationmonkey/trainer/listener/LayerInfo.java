package dev.activationmonkey.trainer.listener;

import dev.activationmonkey.trainer.stats.Saturation;
import java.util.Locale;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;

/** What a snapshot says about its layer: name, DL4J type, activation function and its saturation range. */
public record LayerInfo(int index, String name, String type, String activation, Saturation saturation) {

  public static LayerInfo[] of(MultiLayerNetwork net) {
    int n = net.getnLayers();
    LayerInfo[] infos = new LayerInfo[n];
    for (int i = 0; i < n; i++) {
      Layer conf = net.getLayerWiseConfigurations().getConf(i).getLayer();
      String name = conf.getLayerName() == null ? "layer" + i : conf.getLayerName();
      String activation = conf instanceof BaseLayer base ? activationName(base.getActivationFn()) : null;
      infos[i] = new LayerInfo(i, name, conf.getClass().getSimpleName(), activation, Saturation.of(activation));
    }
    return infos;
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
