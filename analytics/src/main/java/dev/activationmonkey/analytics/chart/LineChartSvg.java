package dev.activationmonkey.analytics.chart;

import java.util.List;
import java.util.Locale;

/** A small inline-SVG line chart: one series per line, x = iteration, optional log-scale y, legend. */
public final class LineChartSvg {
  /** One line: its name and points (x, y); NaN y values are gaps. */
  public record Series(String name, long[] x, double[] y) {}

  private static final String[] PALETTE = {
      "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

  private LineChartSvg() {}

  public static String render(String title, String yLabel, List<Series> series, boolean logY) {
    int w = 760;
    int h = 300;
    int left = 70;
    int right = 150;
    int top = 30;
    int bottom = 45;
    int pw = w - left - right;
    int ph = h - top - bottom;
    long xMin = Long.MAX_VALUE;
    long xMax = Long.MIN_VALUE;
    double yMin = Double.POSITIVE_INFINITY;
    double yMax = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      for (int i = 0; i < s.x().length; i++) {
        double y = ty(s.y()[i], logY);
        if (Double.isFinite(y)) {
          xMin = Math.min(xMin, s.x()[i]);
          xMax = Math.max(xMax, s.x()[i]);
          yMin = Math.min(yMin, y);
          yMax = Math.max(yMax, y);
        }
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT,
        "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d' font-family='sans-serif' font-size='11'>",
        w, h, w, h));
    sb.append(String.format(Locale.ROOT, "<text x='%d' y='18' font-size='14' font-weight='bold'>%s</text>",
        left, esc(title)));
    if (xMin > xMax) {
      sb.append("<text x='").append(left).append("' y='80'>no data</text></svg>");
      return sb.toString();
    }
    if (xMin == xMax) {
      xMax = xMin + 1;
    }
    if (yMin == yMax) {
      yMin -= 0.5;
      yMax += 0.5;
    }
    sb.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#999'/>",
        left, top, pw, ph));
    for (int i = 0; i <= 4; i++) {
      double v = yMax - i * (yMax - yMin) / 4;
      int y = top + i * ph / 4;
      sb.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%d' y2='%d' stroke='#eee'/>", left, left + pw, y, y));
      sb.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='end'>%s</text>", left - 4, y + 4,
          String.format(Locale.ROOT, "%.3g", logY ? Math.pow(10, v) : v)));
    }
    for (int i = 0; i <= 5; i++) {
      long v = xMin + Math.round(i * (xMax - xMin) / 5.0);
      int x = left + i * pw / 5;
      sb.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle'>%d</text>", x, top + ph + 15, v));
    }
    sb.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle'>iteration</text>",
        left + pw / 2, h - 8));
    sb.append(String.format(Locale.ROOT,
        "<text transform='rotate(-90)' x='%d' y='14' text-anchor='middle'>%s</text>", -(top + ph / 2),
        esc(yLabel + (logY ? " (log)" : ""))));
    for (int k = 0; k < series.size(); k++) {
      Series s = series.get(k);
      String color = PALETTE[k % PALETTE.length];
      StringBuilder path = new StringBuilder();
      boolean pen = false;
      for (int i = 0; i < s.x().length; i++) {
        double y = ty(s.y()[i], logY);
        if (!Double.isFinite(y)) {
          pen = false;
          continue;
        }
        double px = left + (double) (s.x()[i] - xMin) / (xMax - xMin) * pw;
        double py = top + (yMax - y) / (yMax - yMin) * ph;
        path.append(pen ? " L" : " M").append(String.format(Locale.ROOT, "%.1f %.1f", px, py));
        pen = true;
      }
      sb.append("<path fill='none' stroke-width='1.5' stroke='").append(color).append("' d='").append(path)
          .append("'/>");
      int ly = top + 12 + k * 16;
      sb.append(String.format(Locale.ROOT,
          "<line x1='%d' x2='%d' y1='%d' y2='%d' stroke='%s' stroke-width='3'/><text x='%d' y='%d'>%s</text>",
          left + pw + 10, left + pw + 28, ly - 4, ly - 4, color, left + pw + 32, ly, esc(s.name())));
    }
    return sb.append("</svg>").toString();
  }

  private static double ty(double y, boolean log) {
    return log ? (y > 0 ? Math.log10(y) : Double.NaN) : y;
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
  }
}
