package dev.activationmonkey.analytics.report;

import java.util.Locale;

/**
 * A row of {@link ReportSql#evaluations}: a run's test-set evaluation after one epoch (the driver's
 * {@code Evaluation} record; averaged should an epoch be logged twice).
 */
public record EvaluationRow(String runId, int epoch, long iteration, double loss, double accuracy) {

  /** The columns, in the order the query selects them. */
  enum Column implements ResultColumn {
    RUN_ID(String.class), EPOCH(int.class), ITERATION(long.class), LOSS(double.class), ACCURACY(double.class);

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

  static EvaluationRow read(SqlRows.SqlRow r) {
    return new EvaluationRow(r.text(Column.RUN_ID), r.integer(Column.EPOCH), r.longValue(Column.ITERATION),
        r.real(Column.LOSS), r.real(Column.ACCURACY));
  }
}
