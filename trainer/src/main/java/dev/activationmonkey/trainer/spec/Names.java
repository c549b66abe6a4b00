package dev.activationmonkey.trainer.spec;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * DL4J enum values by the names users write in YAML: case-insensitive, with '-' or '_' between words
 * ({@code leaky-relu}, {@code xavier_uniform}, {@code clip-l2-per-layer}). Every DL4J value is accepted by
 * its own name; a few common aliases ({@code he}) map to DL4J's.
 */
public final class Names {
  private Names() {}

  private static String squash(String name) {
    return name.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
  }

  private static <E extends Enum<E>> E find(E[] values, String name) {
    String wanted = squash(name);
    for (E e : values) {
      if (squash(e.name()).equals(wanted)) {
        return e;
      }
    }
    return null;
  }

  private static <E extends Enum<E>> List<String> names(E[] values) {
    return Arrays.stream(values).map(e -> e.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList();
  }

  public static Activation activation(String name) {
    return find(Activation.values(), name);
  }

  public static WeightInit weightInit(String name) {
    String squashed = squash(name);
    if (squashed.equals("he")) {
      return WeightInit.RELU;
    }
    if (squashed.equals("heuniform")) {
      return WeightInit.RELU_UNIFORM;
    }
    return find(WeightInit.values(), name);
  }

  public static LossFunction loss(String name) {
    return find(LossFunction.values(), name);
  }

  public static GradientNormalization gradientNormalization(String name) {
    return find(GradientNormalization.values(), name);
  }

  static String activation(SpecNode n, String key, String defaultValue) {
    String value = n.string(key, defaultValue);
    if (value != null && activation(value) == null) {
      throw n.invalidKey(key, "unknown activation '" + value + "'; allowed: " + String.join(", ", names(Activation.values())));
    }
    return value == null ? null : activation(value).name().toLowerCase(Locale.ROOT);
  }

  static String weightInit(SpecNode n, String key, String defaultValue) {
    String value = n.string(key, defaultValue);
    if (value != null && weightInit(value) == null) {
      throw n.invalidKey(key, "unknown weight init '" + value + "'; allowed: he, he-uniform, "
          + String.join(", ", names(WeightInit.values())));
    }
    return value == null ? null : weightInit(value).name().toLowerCase(Locale.ROOT);
  }

  static String loss(SpecNode n, String key, String defaultValue) {
    String value = n.string(key, defaultValue);
    if (loss(value) == null) {
      throw n.invalidKey(key, "unknown loss '" + value + "'; allowed: " + String.join(", ", names(LossFunction.values())));
    }
    return loss(value).name().toLowerCase(Locale.ROOT);
  }

  static String gradientNormalization(SpecNode n, String key, String defaultValue) {
    String value = n.string(key, defaultValue);
    if (gradientNormalization(value) == null) {
      throw n.invalidKey(key, "unknown gradient normalization '" + value + "'; allowed: "
          + String.join(", ", Arrays.stream(GradientNormalization.values())
              .map(g -> g.name().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT)).toList()));
    }
    return gradientNormalization(value).name();
  }
}
