package dev.activationmonkey.analytics.report;

import java.util.Locale;

/**
 * A row of {@link ReportSql#workerSteps}: one worker's pace (a worker is a partition on one executor and host)
 * in one window of a run, or over the whole run ({@code window} = {@link #WHOLE_RUN}): the median time between
 * its consecutive logged iterations, per iteration, from the snapshots' timestamps, and how many such steps.
 */
public record WorkerStepRow(String runId, int partitionId, String executorId, String host, int window, double stepMillis,
    long steps) {

  /** The window of the whole-run rows. */
  static final int WHOLE_RUN = -1;

  /** The columns, in the order the query selects them. */
  enum Column implements ResultColumn {
    RUN_ID(String.class), PARTITION_ID(int.class), EXECUTOR_ID(String.class), HOST(String.class),
    WINDOW(int.class), STEP_MILLIS(double.class), STEPS(long.class);

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

  static WorkerStepRow read(SqlRows.SqlRow r) {
    return new WorkerStepRow(r.text(Column.RUN_ID), r.integer(Column.PARTITION_ID), r.text(Column.EXECUTOR_ID),
        r.text(Column.HOST), r.integer(Column.WINDOW), r.real(Column.STEP_MILLIS), r.longValue(Column.STEPS));
  }
}
