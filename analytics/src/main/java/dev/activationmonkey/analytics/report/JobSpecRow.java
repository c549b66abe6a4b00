package dev.activationmonkey.analytics.report;

import java.util.Locale;

/** A row of {@link ReportSql#jobSpecs}: the job spec a run's RunStart carries, as submitted. */
record JobSpecRow(String runId, String jobSpec) {

  /** The columns, in the order the query selects them. */
  enum Column implements ResultColumn {
    RUN_ID(String.class), JOB_SPEC(String.class);

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

  static JobSpecRow read(SqlRows.SqlRow r) {
    return new JobSpecRow(r.text(Column.RUN_ID), r.text(Column.JOB_SPEC));
  }
}
