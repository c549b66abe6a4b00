package dev.activationmonkey.analytics.report;

import java.util.Locale;

/** The columns of the report's one-column queries (a row is its value, no record needed). */
enum ScalarColumn implements ResultColumn {
  /** {@link ReportSql#runIds}. */
  RUN_ID(String.class),
  /** {@link ReportSql#parameterNames}. */
  PARAMETER_NAME(String.class),
  /** {@link ReportSql#maxUnits}: NULL when there are no lists. */
  MAX_UNITS(Integer.class);

  private final Class<?> type;

  ScalarColumn(Class<?> type) {
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
