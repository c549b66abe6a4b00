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
 * (strings, numbers, nulls) with the columns' labels. DuckDB and Spark differ only in {@link #query} and their
 * {@link ReportSql.Dialect}; the order of queries, the reading of rows by their columns' names (each query's
 * {@link ResultColumn} contract) and the de-duplication strategy are here, once.
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

  /** Runs one SELECT: the columns' labels and each row's values in column order (null for SQL NULL). */
  protected abstract SqlRows query(String sql);

  /** Runs one of {@link ReportSql}'s queries and reads its rows by the names of its contract's columns. */
  private <R> List<R> read(String sql, List<? extends ResultColumn> contract, java.util.function.Function<SqlRows.SqlRow, R> reader) {
    return query(sql).read(contract, reader);
  }

  /** Whether the dataset holds files of the table ({@link dev.activationmonkey.analytics.DatasetFiles#TABLES}). */
  protected abstract boolean hasTable(String table);

  private boolean hasEvaluations() {
    return hasTable(dev.activationmonkey.analytics.DatasetFiles.EVALUATIONS);
  }

  @Override
  public List<String> runIds() {
    return read(ReportSql.runIds(), List.of(ScalarColumn.RUN_ID), r -> r.text(ScalarColumn.RUN_ID));
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
    for (IterationRangeRow r : read(ReportSql.iterationRanges(runIds), List.of(IterationRangeRow.Column.values()),
        IterationRangeRow::read)) {
      out.put(r.runId(), r.ranges());
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
    List<String> codes = read(ReportSql.parameterNames(runIds), List.of(ScalarColumn.PARAMETER_NAME),
        r -> r.text(ScalarColumn.PARAMETER_NAME));
    boolean nonFinite = mayHoldNonFinite(runIds);
    Map<String, LayerRow> layers = new java.util.HashMap<>();
    for (LayerRow r : layers(runIds, true)) {
      layers.put(r.runId() + "\u0000" + r.layerIndex(), r);
    }
    List<LayerBinRow> result = new ArrayList<>(layerBins(ReportSql.layerIterations(dialect, windows, "snapshots_all",
        codes, KeySpace.of(runIds, keyRanges), nonFinite)));
    for (LayerBinRow r : result) {
      if (r.dirty()) {
        runsWithDuplicates.add(r.runId());
      }
    }
    if (!runsWithDuplicates.isEmpty()) {
      result.removeIf(r -> runsWithDuplicates.contains(r.runId()));
      List<Windows> dirty = windows.stream().filter(w -> runsWithDuplicates.contains(w.runId())).toList();
      result.addAll(layerBins(ReportSql.layerIterations(dialect, dirty, "snapshots", codes,
          KeySpace.of(dirty.stream().map(Windows::runId).toList(), keyRanges), nonFinite)));
    }
    // A layer without activation snapshots is named from its other snapshots (one more, rarely needed, query).
    List<String> unnamed = result.stream().filter(r -> !layers.containsKey(r.runId() + "\u0000" + r.layerIndex()))
        .map(LayerBinRow::runId).distinct().toList();
    if (!unnamed.isEmpty()) {
      for (LayerRow r : layers(unnamed, false)) {
        layers.putIfAbsent(r.runId() + "\u0000" + r.layerIndex(), r);
      }
    }
    List<LayerIterationRow> out = new ArrayList<>();
    for (LayerBinRow r : result) {
      out.add(r.withLayer(layers.get(r.runId() + "\u0000" + r.layerIndex())));
    }
    out.sort(ORDER);
    return out;
  }

  /** Runs that held duplicate snapshots (retried tasks, re-sent records), as found by {@link #layerIterations}. */
  public Set<String> runsWithDuplicates() {
    return Set.copyOf(runsWithDuplicates);
  }

  private List<LayerRow> layers(Collection<String> runIds, boolean activationsOnly) {
    return read(ReportSql.layers(runIds, activationsOnly), List.of(LayerRow.Column.values()), LayerRow::read);
  }

  private List<LayerBinRow> layerBins(String sql) {
    return read(sql, List.of(LayerBinRow.Column.values()), LayerBinRow::read);
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
    List<Integer> r = read(ReportSql.maxUnits(dialect, runIds), List.of(ScalarColumn.MAX_UNITS),
        row -> row.nullableInteger(ScalarColumn.MAX_UNITS));
    return r.isEmpty() || r.get(0) == null ? 0 : r.get(0);
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
        out.addAll(explodedUnits(ReportSql.neuronWindows(dialect, part, null, deduplicate)));
        continue;
      }
      int width = Math.max(1, guess);
      List<UnitsByPositionRow> rows = unitsByPosition(dialect, part, null, width, deduplicate);
      // Layers with a list longer than the guess are read again, all their rows, by position or exploded.
      Map<String, Map<Integer, Integer>> longer = new LinkedHashMap<>();
      for (UnitsByPositionRow r : rows) {
        if (r.listLength() > width) {
          longer.computeIfAbsent(r.runId(), k -> new java.util.TreeMap<>()).merge(r.layerIndex(), r.listLength(), Math::max);
        }
      }
      if (!longer.isEmpty()) {
        rows = new ArrayList<>(rows);
        rows.removeIf(r -> longer.getOrDefault(r.runId(), Map.of()).containsKey(r.layerIndex()));
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
        out.addAll(byPosition(unitsByPosition(dialect, part, narrow, narrowWidth, deduplicate), narrowWidth));
      }
      if (!wide.isEmpty()) {
        out.addAll(explodedUnits(ReportSql.neuronWindows(dialect, part, wide, deduplicate)));
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
  static List<NeuronWindowRow> byPosition(List<UnitsByPositionRow> rows, int width) {
    Map<List<Object>, double[][]> groups = new LinkedHashMap<>(); // max, sum, count, values seen
    for (UnitsByPositionRow r : rows) {
      double[][] acc = groups.computeIfAbsent(List.of(r.runId(), r.layerIndex(), r.window()),
          k -> new double[][] {new double[width], new double[width], new double[width], new double[width]});
      int length = Math.min(width, r.listLength());
      long snapshots = r.snapshots();
      for (int k = 0; k < length; k++) {
        acc[2][k] += snapshots;
        Double max = r.maxRates().get(k);
        if (max != null) {
          double m = max;
          double sum = r.sumRates().get(k);
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

  /** Rows of {@link ReportSql#neuronWindows}. */
  List<NeuronWindowRow> explodedUnits(String sql) {
    return read(sql, List.of(NeuronWindowRow.Column.values()), NeuronWindowRow::read);
  }

  /** Rows of {@link ReportSql#neuronWindowsByPosition}. */
  private List<UnitsByPositionRow> unitsByPosition(ReportSql.Dialect dialect, Collection<Windows> windows,
      Map<String, ? extends Collection<Integer>> layers, int width, boolean deduplicate) {
    return read(ReportSql.neuronWindowsByPosition(dialect, windows, layers, width, deduplicate),
        UnitsByPositionRow.columns(width), r -> UnitsByPositionRow.read(r, width));
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
    return read(ReportSql.neuronIterations(dialect, runId, layerIndex, deduplicate, range[0], width),
        List.of(NeuronIterationRow.Column.values()), NeuronIterationRow::read);
  }

  @Override
  public Map<String, Double> finalAccuracy(Collection<String> runIds) {
    Map<String, Double> out = new LinkedHashMap<>();
    if (!hasEvaluations() || runIds.isEmpty()) {
      return out;
    }
    for (FinalAccuracyRow r : read(ReportSql.finalAccuracy(runIds), List.of(FinalAccuracyRow.Column.values()),
        FinalAccuracyRow::read)) {
      out.put(r.runId(), r.accuracy());
    }
    return out;
  }

  @Override
  public List<EvaluationRow> evaluations(Collection<String> runIds) {
    if (!hasEvaluations() || runIds.isEmpty()) {
      return List.of();
    }
    return read(ReportSql.evaluations(runIds), List.of(EvaluationRow.Column.values()), EvaluationRow::read);
  }

  @Override
  public Map<String, String> jobSpecs(Collection<String> runIds) {
    Map<String, String> out = new LinkedHashMap<>();
    if (runIds.isEmpty() || !hasTable(dev.activationmonkey.analytics.DatasetFiles.RUNS)) {
      return out;
    }
    for (JobSpecRow r : read(ReportSql.jobSpecs(runIds), List.of(JobSpecRow.Column.values()), JobSpecRow::read)) {
      out.put(r.runId(), r.jobSpec());
    }
    return out;
  }

  @Override
  public List<WorkerStepRow> workerSteps(Collection<Windows> windows) {
    if (windows.isEmpty()) {
      return List.of();
    }
    return read(ReportSql.workerSteps(dialect, windows, deduplicate(windows)), List.of(WorkerStepRow.Column.values()),
        WorkerStepRow::read);
  }

  @Override
  public List<WorkerStatRow> workerDisagreement(Collection<Windows> windows, double factor, double zeroDifference) {
    if (windows.isEmpty()) {
      return List.of();
    }
    return read(ReportSql.workerDisagreement(windows, factor, zeroDifference, deduplicate(windows)),
        List.of(WorkerStatRow.Column.values()), WorkerStatRow::read);
  }

  /**
   * Whether the runs must be read de-duplicated: unless {@link #layerIterations} found every one of them free of
   * duplicates (the raw rows then give the same numbers without a window over the whole log).
   */
  private boolean deduplicate(Collection<Windows> windows) {
    return windows.stream().map(Windows::runId).anyMatch(r -> !checkedRuns.contains(r) || runsWithDuplicates.contains(r));
  }
}
