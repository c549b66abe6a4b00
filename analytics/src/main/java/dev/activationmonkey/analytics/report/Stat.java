package dev.activationmonkey.analytics.report;

import java.util.Collection;
import java.util.function.Function;

/** A sum and a count, so means over bins of iterations combine exactly into means over windows. */
public record Stat(double sum, long count) {
  public static final Stat EMPTY = new Stat(0, 0);

  public double mean() {
    return count == 0 ? Double.NaN : sum / count;
  }

  /** The mean over all the rows' values (each iteration weighs the same). */
  public static <T> double mean(Collection<T> rows, Function<T, Stat> f) {
    double sum = 0;
    long count = 0;
    for (T row : rows) {
      Stat s = f.apply(row);
      sum += s.sum();
      count += s.count();
    }
    return count == 0 ? Double.NaN : sum / count;
  }

  /** The median of the values (the mean of the middle two for an even count); NaN for none. */
  public static double median(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] v = values.clone();
    java.util.Arrays.sort(v);
    int mid = v.length / 2;
    return v.length % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  }
}
