package dev.activationmonkey.analytics.report;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Where the report's aggregations run: DuckDB embedded ({@link DuckDbEngine}) or Spark SQL
 * ({@link SparkEngine}). Both run the SQL of {@link ReportSql} over the same views; everything after
 * (windows, dead neurons, rules, alerts) is Java over the rows returned, in {@link ReportBuilder}, so the
 * engines cannot disagree on the logic.
 */
public interface ReportEngine extends AutoCloseable {
  /** "duckdb" or "spark". */
  String name();

  List<String> runIds();

  /** Per run: {first, last} iteration. */
  Map<String, long[]> iterationRanges(Collection<String> runIds);

  /** Per run, layer and bin of iterations (bins inside the given windows). */
  List<LayerIterationRow> layerIterations(Collection<Windows> windows);

  List<NeuronWindowRow> neuronWindows(Collection<Windows> windows);

  /** Firing rate per neuron per iteration of one layer (averaged over workers), for neuron × iteration heatmaps. */
  List<NeuronIterationRow> neuronIterations(String runId, int layerIndex);

  /** Final evaluation per run (the latest epoch), for the comparison of runs; empty where none was logged. */
  Map<String, Double> finalAccuracy(Collection<String> runIds);

  /** Every run's test evaluations, by run and epoch; empty where none was logged. */
  List<EvaluationRow> evaluations(Collection<String> runIds);

  /** Per run, the job spec its RunStart carries (as submitted); runs without one are left out. */
  Map<String, String> jobSpecs(Collection<String> runIds);

  /**
   * Per run, worker and window (and the whole run), the worker's median time per iteration
   * ({@link ReportSql#workerSteps}).
   */
  List<WorkerStepRow> workerSteps(Collection<Windows> windows);

  /**
   * Per run, worker, layer, statistic and window (and the whole run), how often the worker's value was off the
   * median of all workers' at the same iteration ({@link ReportSql#workerDisagreement}).
   */
  List<WorkerStatRow> workerDisagreement(Collection<Windows> windows, double factor, double zeroDifference);

  /** Files left out as unreadable, with the reader's error. */
  Map<String, String> badFiles();

  @Override
  void close();
}
