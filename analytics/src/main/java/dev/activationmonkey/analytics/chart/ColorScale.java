package dev.activationmonkey.analytics.chart;

import java.awt.Color;

/** Viridis (perceptually uniform, readable in grey and by colour-blind readers), interpolated from 9 stops. */
public final class ColorScale {
  private ColorScale() {}

  private static final int[][] STOPS = {
      {68, 1, 84}, {71, 44, 122}, {59, 81, 139}, {44, 113, 142}, {33, 144, 141},
      {39, 173, 129}, {92, 200, 99}, {170, 220, 50}, {253, 231, 37}};

  /** @param t in [0, 1]; NaN gives light grey ("no data") */
  public static Color color(double t) {
    if (Double.isNaN(t)) {
      return new Color(225, 225, 225);
    }
    double x = Math.max(0, Math.min(1, t)) * (STOPS.length - 1);
    int i = Math.min(STOPS.length - 2, (int) Math.floor(x));
    double f = x - i;
    int[] a = STOPS[i];
    int[] b = STOPS[i + 1];
    return new Color((int) Math.round(a[0] + f * (b[0] - a[0])), (int) Math.round(a[1] + f * (b[1] - a[1])),
        (int) Math.round(a[2] + f * (b[2] - a[2])));
  }

  public static String hex(double t) {
    Color c = color(t);
    return String.format("#%02x%02x%02x", c.getRed(), c.getGreen(), c.getBlue());
  }
}
