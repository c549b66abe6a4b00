package dev.activationmonkey.analytics.report;

import java.util.Locale;

/**
 * A row of {@link ReportSql#workerDisagreement}: how one worker's statistic of one layer compared with the
 * median of every worker's at the same iteration, in one window of a run or over the whole run ({@code window} =
 * {@link WorkerStepRow#WHOLE_RUN}): how many iterations were compared (those with at least
 * {@link ReportSql#MIN_WORKERS_TO_COMPARE} workers), in how many it was off by the disagreement threshold, and the
 * mean deviation over those where it was off: the geometric mean of value / median for {@code gradient_l2} and
 * {@code activation_mean_abs}, the mean of value - median for {@code zero_fraction} (NaN where it never was).
 */
public record WorkerStatRow(String runId, int partitionId, String executorId, String host, int layerIndex, String stat,
    int window, long compared, long disagreeing, double deviation) {

  /** The columns, in the order the query selects them. */
  enum Column implements ResultColumn {
    RUN_ID(String.class), PARTITION_ID(int.class), EXECUTOR_ID(String.class), HOST(String.class),
    LAYER_INDEX(int.class), STAT(String.class), WINDOW(int.class), COMPARED(long.class), DISAGREEING(long.class),
    DEVIATION(double.class);

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

  static WorkerStatRow read(SqlRows.SqlRow r) {
    return new WorkerStatRow(r.text(Column.RUN_ID), r.integer(Column.PARTITION_ID), r.text(Column.EXECUTOR_ID),
        r.text(Column.HOST), r.integer(Column.LAYER_INDEX), r.text(Column.STAT), r.integer(Column.WINDOW),
        r.longValue(Column.COMPARED), r.longValue(Column.DISAGREEING), r.real(Column.DEVIATION));
  }
}
