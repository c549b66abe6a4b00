package dev.activationmonkey.analytics.chart;

import static java.util.Objects.requireNonNull;

/**
 * A matrix for a heatmap: rows (drawn top to bottom) by columns (left to right), NaN where there is no
 * value. Row and column labels name what they are (layers, neurons; iterations).
 *
 * @param logScale colour by log10 of the value (for gradient norms spanning decades)
 */
public record HeatmapData(String title, String rowAxis, String columnAxis, String valueLabel,
    String[] rowLabels, long[] columnValues, double[][] values, boolean logScale) {
  public HeatmapData {
    requireNonNull(title, "title is null");
    requireNonNull(values, "values is null");
    if (rowLabels.length != values.length) {
      throw new IllegalArgumentException("rowLabels has " + rowLabels.length + " entries for " + values.length + " rows");
    }
    for (double[] row : values) {
      if (row.length != columnValues.length) {
        throw new IllegalArgumentException("a row has " + row.length + " values for " + columnValues.length + " columns");
      }
    }
  }

  /** The smallest and largest finite value (after the log, if any); {0, 1} when there is none. */
  public double[] range() {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double[] row : values) {
      for (double v : row) {
        double t = transform(v);
        if (Double.isFinite(t)) {
          lo = Math.min(lo, t);
          hi = Math.max(hi, t);
        }
      }
    }
    if (lo > hi) {
      return new double[] {0, 1};
    }
    return lo == hi ? new double[] {lo - 0.5, hi + 0.5} : new double[] {lo, hi};
  }

  public double transform(double v) {
    if (!logScale) {
      return v;
    }
    return v > 0 ? Math.log10(v) : Double.NaN;
  }
}
