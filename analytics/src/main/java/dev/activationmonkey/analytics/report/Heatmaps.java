package dev.activationmonkey.analytics.report;

import dev.activationmonkey.analytics.chart.HeatmapData;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

/**
 * The report's heatmaps as {@link HeatmapData}: layer × iteration (sparsity, gradient norm) and neuron ×
 * iteration (firing rate). The columns are the logged iterations; past {@link #MAX_COLUMNS} consecutive logged
 * iterations are averaged into one column so a long run still fits a picture; a column is labelled with its first
 * logged iteration.
 */
public final class Heatmaps {
  private Heatmaps() {}

  public static final int MAX_COLUMNS = 200;

  public static HeatmapData sparsity(String runId, List<LayerIterationRow> rows) {
    return layerByIteration("Exact-zero activations, run " + runId, "zero fraction", rows,
        LayerIterationRow::zeroFraction, false);
  }

  public static HeatmapData gradientNorm(String runId, List<LayerIterationRow> rows) {
    return layerByIteration("Gradient L2 norm, run " + runId, "gradient L2", rows, LayerIterationRow::gradientL2,
        true);
  }

  static HeatmapData layerByIteration(String title, String valueLabel, List<LayerIterationRow> rows,
      ToDoubleFunction<LayerIterationRow> metric, boolean log) {
    TreeMap<Integer, String> layers = new TreeMap<>();
    TreeSet<Long> iterations = new TreeSet<>();
    for (LayerIterationRow r : rows) {
      layers.putIfAbsent(r.layerIndex(), r.layerIndex() + (r.layerName().isEmpty() ? "" : " " + r.layerName()));
      iterations.add(r.iteration());
    }
    Bins bins = Bins.of(iterations, MAX_COLUMNS);
    List<Integer> layerOrder = List.copyOf(layers.keySet());
    double[][] sum = new double[layerOrder.size()][bins.count()];
    int[][] n = new int[layerOrder.size()][bins.count()];
    for (LayerIterationRow r : rows) {
      double v = metric.applyAsDouble(r);
      if (Double.isNaN(v)) {
        continue;
      }
      int row = layerOrder.indexOf(r.layerIndex());
      int col = bins.of(r.iteration());
      sum[row][col] += v;
      n[row][col]++;
    }
    return new HeatmapData(title, "layer", "iteration", valueLabel, layers.values().toArray(String[]::new),
        bins.starts(), means(sum, n), log);
  }

  public static HeatmapData firingRate(String runId, int layerIndex, String layerName, List<NeuronIterationRow> rows) {
    TreeSet<Long> iterations = new TreeSet<>();
    int neurons = 0;
    for (NeuronIterationRow r : rows) {
      iterations.add(r.iteration());
      neurons = Math.max(neurons, r.neuron() + 1);
    }
    Bins bins = Bins.of(iterations, MAX_COLUMNS);
    double[][] sum = new double[neurons][bins.count()];
    int[][] n = new int[neurons][bins.count()];
    for (NeuronIterationRow r : rows) {
      int col = bins.of(r.iteration());
      sum[r.neuron()][col] += r.rate();
      n[r.neuron()][col]++;
    }
    String[] labels = new String[neurons];
    for (int i = 0; i < neurons; i++) {
      labels[i] = Integer.toString(i);
    }
    String title = "Firing rate per neuron, run " + runId + ", layer " + layerIndex
        + (layerName == null || layerName.isEmpty() ? "" : " (" + layerName + ")");
    return new HeatmapData(title, "neuron", "iteration", "share of examples > 0", labels, bins.starts(),
        means(sum, n), false);
  }

  private static double[][] means(double[][] sum, int[][] n) {
    double[][] out = new double[sum.length][];
    for (int r = 0; r < sum.length; r++) {
      out[r] = new double[sum[r].length];
      for (int c = 0; c < sum[r].length; c++) {
        out[r][c] = n[r][c] == 0 ? Double.NaN : sum[r][c] / n[r][c];
      }
    }
    return out;
  }

  /**
   * The logged iterations as columns: one column per logged iteration, or, past {@code max}, consecutive logged
   * iterations grouped {@code ceil(n / max)} to a column. Iterations that were never logged get no column (with
   * {@code logging.every: 5} a column per iteration would leave four in five grey).
   */
  record Bins(long[] logged, int perColumn) {
    static Bins of(TreeSet<Long> iterations, int max) {
      if (iterations.isEmpty()) {
        return new Bins(new long[] {0}, 1);
      }
      long[] logged = iterations.stream().mapToLong(Long::longValue).toArray();
      return new Bins(logged, Math.max(1, (logged.length + max - 1) / max));
    }

    int count() {
      return (logged.length + perColumn - 1) / perColumn;
    }

    int of(long iteration) {
      int at = java.util.Arrays.binarySearch(logged, iteration);
      int index = at >= 0 ? at : Math.max(0, -at - 2); // an iteration between two logged ones joins the earlier
      return Math.min(count() - 1, index / perColumn);
    }

    /** Each column's first logged iteration (its label). */
    long[] starts() {
      long[] s = new long[count()];
      for (int i = 0; i < s.length; i++) {
        s[i] = logged[i * perColumn];
      }
      return s;
    }
  }
}
