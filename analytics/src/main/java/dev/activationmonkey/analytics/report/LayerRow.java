package dev.activationmonkey.analytics.report;

import java.util.Locale;

/** A row of {@link ReportSql#layers}: what a run's layer is (any of the names may be NULL). */
record LayerRow(String runId, int layerIndex, String layerName, String layerType, String activationFunction) {

  /** The columns, in the order the query selects them. */
  enum Column implements ResultColumn {
    RUN_ID(String.class), LAYER_INDEX(int.class), LAYER_NAME(String.class), LAYER_TYPE(String.class),
    ACTIVATION_FUNCTION(String.class);

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

  static LayerRow read(SqlRows.SqlRow r) {
    return new LayerRow(r.text(Column.RUN_ID), r.integer(Column.LAYER_INDEX), r.text(Column.LAYER_NAME),
        r.text(Column.LAYER_TYPE), r.text(Column.ACTIVATION_FUNCTION));
  }
}
