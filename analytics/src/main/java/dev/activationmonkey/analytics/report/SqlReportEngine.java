package dev.activationmonkey.analytics.report;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The report's queries, for any engine that can run {@link ReportSql} and return rows of plain Java values
 * (strings, numbers, nulls). DuckDB and Spark differ only in {@link #rows} and their {@link ReportSql.Dialect};
 * the order of queries and the de-duplication strategy are here, once.
 */
public abstract class SqlReportEngine implements ReportEngine {
  private final ReportSql.Dialect dialect;
  /** Runs found to hold duplicate snapshots by the last {@link #layerIterations} call. */
  private final Set<String> runsWithDuplicates = new LinkedHashSet<>();
  /** Runs whose duplicates were looked for by {@link #layerIterations}. */
  private final Set<String> checkedRuns = new LinkedHashSet<>();

  protected SqlReportEngine(ReportSql.Dialect dialect) {
    this.dialect = dialect;
  }

  /** Runs one SELECT; each row's values in column order (null for SQL NULL). */
  protected abstract List<Object[]> rows(String sql);

  /** Whether an evaluations table exists in the dataset. */
  protected abstract boolean hasEvaluations();

  @Override
  public List<String> runIds() {
    return rows("SELECT DISTINCT run_id FROM snapshots_all ORDER BY run_id").stream().map(r -> (String) r[0]).toList();
  }

  @Override
  public Map<String, long[]> iterationRanges(Collection<String> runIds) {
    Map<String, long[]> out = new LinkedHashMap<>();
    if (!runIds.isEmpty()) {
      keyRanges(runIds).forEach((run, all) -> {
        keyRanges.put(run, all);
        out.put(run, new long[] {all[0], all[1]});
      });
    }
    return out;
  }

  /**
   * Per run: first and last iteration, epoch, layer_index and partition_id, then the number of NULLs among
   * those columns ({@link ReportSql#iterationRanges}); runs without snapshots are left out.
   */
  protected Map<String, long[]> keyRanges(Collection<String> runIds) {
    Map<String, long[]> out = new LinkedHashMap<>();
    for (Object[] r : rows(ReportSql.iterationRanges(runIds))) {
      long[] all = new long[9];
      for (int i = 0; i < 9; i++) {
        all[i] = longValue(r[i + 1]);
      }
      out.put((String) r[0], all);
    }
    return out;
  }

  /** Per run, the ranges of the last {@link #iterationRanges} call, for {@link KeySpace}. */
  private final Map<String, long[]> keyRanges = new java.util.HashMap<>();

  /**
   * Whether NaN/Inf counts may be non-zero in the runs' snapshots; false lets the report skip reading them.
   * The default cannot tell.
   */
  protected boolean mayHoldNonFinite(Collection<String> runIds) {
    return true;
  }

  @Override
  public List<LayerIterationRow> layerIterations(Collection<Windows> windows) {
    runsWithDuplicates.clear();
    if (windows.isEmpty()) {
      return List.of();
    }
    List<String> runIds = windows.stream().map(Windows::runId).toList();
    checkedRuns.clear();
    checkedRuns.addAll(runIds);
    if (!keyRanges.keySet().containsAll(runIds)) {
      iterationRanges(runIds);
    }
    List<String> codes = rows(ReportSql.parameterNames(runIds)).stream().map(r -> (String) r[0]).toList();
    boolean nonFinite = mayHoldNonFinite(runIds);
    Map<String, Object[]> layers = new java.util.HashMap<>();
    for (Object[] r : rows(ReportSql.layers(runIds, true))) {
      layers.put(r[0] + "\u0000" + integer(r[1]), r);
    }
    List<Object[]> result = new ArrayList<>(rows(ReportSql.layerIterations(dialect, windows, "snapshots_all", codes,
        KeySpace.of(runIds, keyRanges), nonFinite)));
    for (Object[] r : result) {
      if (integer(r[24]) != 0) {
        runsWithDuplicates.add((String) r[0]);
      }
    }
    if (!runsWithDuplicates.isEmpty()) {
      result.removeIf(r -> runsWithDuplicates.contains((String) r[0]));
      List<Windows> dirty = windows.stream().filter(w -> runsWithDuplicates.contains(w.runId())).toList();
      result.addAll(rows(ReportSql.layerIterations(dialect, dirty, "snapshots", codes,
          KeySpace.of(dirty.stream().map(Windows::runId).toList(), keyRanges), nonFinite)));
    }
    // A layer without activation snapshots is named from its other snapshots (one more, rarely needed, query).
    List<String> unnamed = result.stream().filter(r -> !layers.containsKey(r[0] + "\u0000" + integer(r[1])))
        .map(r -> (String) r[0]).distinct().toList();
    if (!unnamed.isEmpty()) {
      for (Object[] r : rows(ReportSql.layers(unnamed, false))) {
        layers.putIfAbsent(r[0] + "\u0000" + integer(r[1]), r);
      }
    }
    List<LayerIterationRow> out = new ArrayList<>();
    for (Object[] r : result) {
      out.add(layerIteration(r, layers));
    }
    out.sort(ORDER);
    return out;
  }

  /** Runs that held duplicate snapshots (retried tasks, re-sent records), as found by {@link #layerIterations}. */
  public Set<String> runsWithDuplicates() {
    return Set.copyOf(runsWithDuplicates);
  }

  private static LayerIterationRow layerIteration(Object[] r, Map<String, Object[]> layers) {
    Object[] layer = layers.getOrDefault(r[0] + "\u0000" + integer(r[1]), new Object[5]);
    return new LayerIterationRow((String) r[0], integer(r[1]), (String) layer[2], (String) layer[3],
        (String) layer[4], integer(r[2]), longValue(r[3]), longValue(r[4]), integer(r[5]), stat(r, 6), stat(r, 8),
        stat(r, 10), stat(r, 12), stat(r, 14), stat(r, 16), stat(r, 18), longValue(r[20]), longValue(r[21]),
        longValue(r[22]), r[23] == null ? -1 : longValue(r[23]));
  }

  private static Stat stat(Object[] r, int sumColumn) {
    long count = longValue(r[sumColumn + 1]);
    return count == 0 ? Stat.EMPTY : new Stat(d(r[sumColumn]), count);
  }

  /** The engine returns groups unordered; reports and charts want layer, then iteration order. */
  static final java.util.Comparator<LayerIterationRow> ORDER = java.util.Comparator
      .comparing(LayerIterationRow::runId).thenComparingInt(LayerIterationRow::layerIndex)
      .thenComparingLong(LayerIterationRow::iteration).thenComparingInt(LayerIterationRow::epoch);

  /**
   * A guess of the longest firing-rate list among the runs' activations, or -1 if unknown; it only sizes the
   * positional query, whose results show each list's length, so a wrong guess costs a second query, never a
   * wrong number. The default asks the engine ({@link ReportSql#maxUnits}, a scan of the lists).
   */
  protected int unitsGuess(Collection<String> runIds) {
    List<Object[]> r = rows(ReportSql.maxUnits(dialect, runIds));
    return r.isEmpty() || r.get(0)[0] == null ? 0 : integer(r.get(0)[0]);
  }

  @Override
  public List<NeuronWindowRow> neuronWindows(Collection<Windows> windows) {
    List<NeuronWindowRow> out = new ArrayList<>();
    if (windows.isEmpty()) {
      return out;
    }
    int guess = unitsGuess(windows.stream().map(Windows::runId).toList());
    for (boolean deduplicate : new boolean[] {false, true}) {
      List<Windows> part = windows.stream().filter(w -> runsWithDuplicates.contains(w.runId()) == deduplicate).toList();
      if (part.isEmpty()) {
        continue;
      }
      if (guess > ReportSql.MAX_POSITIONAL_UNITS) {
        rows(ReportSql.neuronWindows(dialect, part, null, deduplicate)).forEach(r -> out.add(neuronWindow(r)));
        continue;
      }
      int width = Math.max(1, guess);
      List<Object[]> rows = rows(ReportSql.neuronWindowsByPosition(dialect, part, null, width, deduplicate));
      // Layers with a list longer than the guess are read again, all their rows, by position or exploded.
      Map<String, Map<Integer, Integer>> longer = new LinkedHashMap<>();
      for (Object[] r : rows) {
        if (integer(r[3]) > width) {
          longer.computeIfAbsent((String) r[0], k -> new java.util.TreeMap<>()).merge(integer(r[1]), integer(r[3]), Math::max);
        }
      }
      if (!longer.isEmpty()) {
        rows = new ArrayList<>(rows);
        rows.removeIf(r -> longer.getOrDefault((String) r[0], Map.of()).containsKey(integer(r[1])));
      }
      out.addAll(byPosition(rows, width));
      Map<String, List<Integer>> narrow = new LinkedHashMap<>();
      Map<String, List<Integer>> wide = new LinkedHashMap<>();
      int narrowWidth = 0;
      for (Map.Entry<String, Map<Integer, Integer>> run : longer.entrySet()) {
        for (Map.Entry<Integer, Integer> layer : run.getValue().entrySet()) {
          boolean isWide = layer.getValue() > ReportSql.MAX_POSITIONAL_UNITS;
          (isWide ? wide : narrow).computeIfAbsent(run.getKey(), k -> new ArrayList<>()).add(layer.getKey());
          narrowWidth = isWide ? narrowWidth : Math.max(narrowWidth, layer.getValue());
        }
      }
      if (!narrow.isEmpty()) {
        out.addAll(byPosition(rows(ReportSql.neuronWindowsByPosition(dialect, part, narrow, narrowWidth, deduplicate)),
            narrowWidth));
      }
      if (!wide.isEmpty()) {
        rows(ReportSql.neuronWindows(dialect, part, wide, deduplicate)).forEach(r -> out.add(neuronWindow(r)));
      }
    }
    out.sort(java.util.Comparator.comparing(NeuronWindowRow::runId).thenComparingInt(NeuronWindowRow::layerIndex)
        .thenComparingInt(NeuronWindowRow::window).thenComparingInt(NeuronWindowRow::neuron));
    return out;
  }

  /**
   * Folds {@link ReportSql#neuronWindowsByPosition} rows (one per list length) into a row per unit, with the
   * semantics of aggregating the exploded lists: a unit's count is every snapshot long enough to hold it (NULL
   * rates included), its max and sum skip NULLs and are NULL (NaN) when every rate was NULL.
   */
  static List<NeuronWindowRow> byPosition(List<Object[]> rows, int width) {
    Map<List<Object>, double[][]> groups = new LinkedHashMap<>(); // max, sum, count, values seen
    for (Object[] r : rows) {
      double[][] acc = groups.computeIfAbsent(List.of(r[0], integer(r[1]), integer(r[2])),
          k -> new double[][] {new double[width], new double[width], new double[width], new double[width]});
      int length = Math.min(width, integer(r[3]));
      long snapshots = longValue(r[4]);
      for (int k = 0; k < length; k++) {
        acc[2][k] += snapshots;
        Object max = r[5 + 2 * k];
        if (max != null) {
          double m = d(max);
          double sum = d(r[6 + 2 * k]);
          boolean first = acc[3][k] == 0;
          acc[0][k] = first ? m : Math.max(acc[0][k], m);
          acc[1][k] = first ? sum : acc[1][k] + sum;
          acc[3][k] = 1;
        }
      }
    }
    List<NeuronWindowRow> out = new ArrayList<>();
    groups.forEach((key, acc) -> {
      for (int k = 0; k < width; k++) {
        if (acc[2][k] > 0) {
          boolean seen = acc[3][k] != 0;
          out.add(new NeuronWindowRow((String) key.get(0), (Integer) key.get(1), (Integer) key.get(2), k,
              seen ? acc[0][k] : Double.NaN, seen ? acc[1][k] : Double.NaN, (long) acc[2][k]));
        }
      }
    });
    return out;
  }

  static NeuronWindowRow neuronWindow(Object[] r) {
    return new NeuronWindowRow((String) r[0], integer(r[1]), integer(r[2]), integer(r[3]), d(r[4]), d(r[5]),
        longValue(r[6]));
  }

  /** At most this many iteration bins per neuron × iteration heatmap. */
  static final int MAX_NEURON_BINS = 200;

  @Override
  public List<NeuronIterationRow> neuronIterations(String runId, int layerIndex) {
    long[] range = iterationRanges(List.of(runId)).get(runId);
    if (range == null) {
      return List.of();
    }
    long width = Math.max(1, (range[1] - range[0] + MAX_NEURON_BINS) / MAX_NEURON_BINS);
    // The raw rows are exact for runs known to hold no duplicate; otherwise read the de-duplicated view.
    boolean deduplicate = !checkedRuns.contains(runId) || runsWithDuplicates.contains(runId);
    return rows(ReportSql.neuronIterations(dialect, runId, layerIndex, deduplicate, range[0], width)).stream()
        .map(r -> new NeuronIterationRow(longValue(r[0]), integer(r[1]), d(r[2]))).toList();
  }

  @Override
  public Map<String, Double> finalAccuracy(Collection<String> runIds) {
    Map<String, Double> out = new LinkedHashMap<>();
    if (!hasEvaluations() || runIds.isEmpty()) {
      return out;
    }
    for (Object[] r : rows(ReportSql.finalAccuracy(runIds))) {
      out.put((String) r[0], d(r[1]));
    }
    return out;
  }

  static double d(Object v) {
    return v == null ? Double.NaN : ((Number) v).doubleValue();
  }

  static int integer(Object v) {
    return ((Number) v).intValue();
  }

  static long longValue(Object v) {
    return v == null ? 0 : ((Number) v).longValue();
  }
}
