package dev.activationmonkey.analytics.report;

import java.util.Locale;

/** Number formatting shared by the terminal and HTML reports. */
public final class Format {
  private Format() {}

  public static String pct(double share) {
    return Double.isNaN(share) ? "-" : String.format(Locale.ROOT, "%.1f%%", share * 100);
  }

  public static String sci(double v) {
    if (Double.isNaN(v)) {
      return "-";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "inf" : "-inf";
    }
    double a = Math.abs(v);
    if (a != 0 && (a < 1e-2 || a >= 1e4)) {
      return String.format(Locale.ROOT, "%.2e", v);
    }
    return String.format(Locale.ROOT, "%.3g", v);
  }

  public static String fixed(double v, int decimals) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", v);
  }
}
