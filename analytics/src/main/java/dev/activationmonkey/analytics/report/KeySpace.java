package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Packs the report's group key (run, epoch, iteration, layer, worker) into one BIGINT, from the ranges the
 * runs' snapshots span: {@code ((((run * epochs + epoch') * iterations + iteration') * layers + layer') * workers
 * + worker')} with each primed value relative to its minimum. Grouping by one integer instead of five columns
 * (one a string) roughly halves DuckDB's per-worker hash aggregations. Exact by construction: every value lies
 * in its range, because the ranges were measured on the same rows.
 *
 * @param runs the runs, in the order of the {@link Windows} the query is built for (a run's index is its number)
 */
public record KeySpace(List<String> runs, long firstEpoch, long epochs, long firstIteration, long iterations,
    long firstLayer, long layers, long firstWorker, long workers) {
  public KeySpace {
    runs = List.copyOf(requireNonNull(runs, "runs is null"));
  }

  /**
   * The key space of the runs, or null when it cannot pack: a NULL in a key column (the plain columns group
   * NULLs together, a packed NULL would merge different groups), or more values than a BIGINT holds.
   *
   * @param ranges per run: {first iteration, last iteration, first epoch, last epoch, first layer, last layer,
   *     first worker, last worker, NULLs among those columns} as {@link ReportSql#iterationRanges} returns them
   */
  public static KeySpace of(Collection<String> runs, Map<String, long[]> ranges) {
    long[] lo = {Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE};
    long[] hi = {Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE};
    for (String run : runs) {
      long[] r = ranges.get(run);
      if (r == null || r.length < 9 || r[8] != 0) {
        return null;
      }
      for (int c = 0; c < 4; c++) {
        lo[c] = Math.min(lo[c], r[2 * c]);
        hi[c] = Math.max(hi[c], r[2 * c + 1]);
      }
    }
    if (runs.isEmpty()) {
      return null;
    }
    try {
      long iterations = Math.addExact(Math.subtractExact(hi[0], lo[0]), 1);
      long epochs = Math.addExact(Math.subtractExact(hi[1], lo[1]), 1);
      long layers = Math.addExact(Math.subtractExact(hi[2], lo[2]), 1);
      long workers = Math.addExact(Math.subtractExact(hi[3], lo[3]), 1);
      long total = Math.multiplyExact(Math.multiplyExact(Math.multiplyExact(Math.multiplyExact(
          (long) runs.size(), epochs), iterations), layers), workers);
      if (total >= 1L << 62) {
        return null;
      }
      return new KeySpace(List.copyOf(runs), lo[1], epochs, lo[0], iterations, lo[2], layers, lo[3], workers);
    } catch (ArithmeticException e) {
      return null;
    }
  }

  /** The packed worker key of a snapshot row (columns run_id, epoch, iteration, layer_index, partition_id). */
  String workerKey(Collection<Windows> windows) {
    StringBuilder run = new StringBuilder("CAST(CASE run_id");
    for (int i = 0; i < runs.size(); i++) {
      run.append(" WHEN ").append(ReportSql.literal(runs.get(i))).append(" THEN ").append(i);
    }
    run.append(" END AS BIGINT)");
    return "((((" + run + " * " + epochs + " + " + offset("epoch", firstEpoch, epochs) + ") * " + iterations + " + "
        + offset("iteration", firstIteration, iterations) + ") * " + layers + " + "
        + offset("layer_index", firstLayer, layers) + ") * " + workers + " + "
        + offset("partition_id", firstWorker, workers) + ")";
  }

  /**
   * A column's offset from its minimum. An INT column's offset fits an INT when its range does; a wider range is
   * taken in BIGINT (the engines differ on INT overflow: DuckDB fails, Spark wraps).
   */
  private static String offset(String column, long first, long size) {
    return size > Integer.MAX_VALUE ? "(CAST(" + column + " AS BIGINT) - " + first + ")" : "(" + column + " - " + first + ")";
  }

  /** A BIGINT with the row's worker's bit set (for at most {@link ReportSql#MAX_WORKER_BITS} workers). */
  String workerBit() {
    return "CAST(pow(2, partition_id - " + firstWorker + ") AS BIGINT)";
  }

  /** Columns run (the run's index), layer_index, epoch, iteration of a packed iteration key (a worker key div workers). */
  String decode(ReportSql.Dialect dialect, String key) {
    return dialect.div(key, layers * iterations * epochs) + " AS run, " + key + " % " + layers + " + " + firstLayer
        + " AS layer_index, CAST(" + dialect.div(key, layers * iterations) + " % " + epochs + " + " + firstEpoch
        + " AS INT) AS epoch, " + dialect.div(key, layers) + " % " + iterations + " + " + firstIteration
        + " AS iteration";
  }

  /** The run id of a run index column. */
  String runIdOf(String column) {
    StringBuilder sb = new StringBuilder("CASE ").append(column);
    for (int i = 0; i < runs.size(); i++) {
      sb.append(" WHEN ").append(i).append(" THEN ").append(ReportSql.literal(runs.get(i)));
    }
    return sb.append(" END").toString();
  }
}
