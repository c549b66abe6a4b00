package dev.activationmonkey.trainer.stats;

import java.util.Locale;

/**
 * The output range of a bounded activation function; an activation within 5% of the range's width of
 * either end counts as saturated (its gradient is close to zero there).
 */
public enum Saturation {
  /** sigmoid, hardsigmoid: [0, 1]. */
  UNIT(0.0, 1.0),
  /** tanh, hardtanh, softsign: [-1, 1]. */
  SYMMETRIC(-1.0, 1.0);

  /** Share of the range's width, at each end, that counts as saturated. */
  public static final double MARGIN = 0.05;

  private final double low;
  private final double high;

  Saturation(double low, double high) {
    this.low = low;
    this.high = high;
  }

  public double lowThreshold() {
    return low + MARGIN * (high - low);
  }

  public double highThreshold() {
    return high - MARGIN * (high - low);
  }

  /** The range of a DL4J activation by its lower-case name, or null if it is unbounded. */
  public static Saturation of(String activation) {
    if (activation == null) {
      return null;
    }
    return switch (activation.toLowerCase(Locale.ROOT)) {
      case "sigmoid", "hardsigmoid" -> UNIT;
      case "tanh", "hardtanh", "softsign", "rationaltanh" -> SYMMETRIC;
      default -> null;
    };
  }
}
