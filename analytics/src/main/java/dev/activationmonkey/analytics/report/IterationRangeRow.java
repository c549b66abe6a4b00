package dev.activationmonkey.analytics.report;

import java.util.Locale;

/**
 * A row of {@link ReportSql#iterationRanges}: a run's ranges of the group key's columns and the number of NULLs
 * among them (NULL bounds, of a column NULL in every row, read as 0).
 */
record IterationRangeRow(String runId, long firstIteration, long lastIteration, long firstEpoch, long lastEpoch,
    long firstLayer, long lastLayer, long firstWorker, long lastWorker, long keyNulls) {

  /** The columns, in the order the query selects them. */
  enum Column implements ResultColumn {
    RUN_ID(String.class), FIRST_ITERATION(long.class), LAST_ITERATION(long.class), FIRST_EPOCH(long.class),
    LAST_EPOCH(long.class), FIRST_LAYER(long.class), LAST_LAYER(long.class), FIRST_WORKER(long.class),
    LAST_WORKER(long.class), KEY_NULLS(long.class);

    private final Class<?> type;

    Column(Class<?> type) {
      this.type = type;
    }

    @Override
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public Class<?> type() {
      return type;
    }
  }

  static IterationRangeRow read(SqlRows.SqlRow r) {
    return new IterationRangeRow(r.text(Column.RUN_ID), r.longValue(Column.FIRST_ITERATION),
        r.longValue(Column.LAST_ITERATION), r.longValue(Column.FIRST_EPOCH), r.longValue(Column.LAST_EPOCH),
        r.longValue(Column.FIRST_LAYER), r.longValue(Column.LAST_LAYER), r.longValue(Column.FIRST_WORKER),
        r.longValue(Column.LAST_WORKER), r.longValue(Column.KEY_NULLS));
  }

  /** As {@link KeySpace#of} takes them: {first, last} iteration, epoch, layer, worker, then the NULLs. */
  long[] ranges() {
    return new long[] {firstIteration, lastIteration, firstEpoch, lastEpoch, firstLayer, lastLayer, firstWorker,
        lastWorker, keyNulls};
  }
}
