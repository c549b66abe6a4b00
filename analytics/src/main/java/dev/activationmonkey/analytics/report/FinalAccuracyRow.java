package dev.activationmonkey.analytics.report;

import java.util.Locale;

/** A row of {@link ReportSql#finalAccuracy}: a run's accuracy at its latest evaluated epoch (NaN if NULL). */
record FinalAccuracyRow(String runId, double accuracy) {

  /** The columns, in the order the query selects them. */
  enum Column implements ResultColumn {
    RUN_ID(String.class), ACCURACY(double.class);

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

  static FinalAccuracyRow read(SqlRows.SqlRow r) {
    return new FinalAccuracyRow(r.text(Column.RUN_ID), r.real(Column.ACCURACY));
  }
}
