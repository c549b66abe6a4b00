package dev.activationmonkey.analytics.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A row of {@link ReportSql#neuronWindowsByPosition}: the snapshots of one run, layer and window whose
 * firing-rate lists have one length, with the max and sum of the rates at each position 1..width (a NULL
 * max, of NULL rates only, is kept as null; a sum is NaN there).
 */
record UnitsByPositionRow(String runId, int layerIndex, int window, int listLength, long snapshots,
    List<Double> maxRates, List<Double> sumRates) {
  UnitsByPositionRow {
    maxRates = Collections.unmodifiableList(new ArrayList<>(maxRates)); // nulls allowed
    sumRates = List.copyOf(sumRates);
  }

  /** The fixed columns, in the order the query selects them; {@link #columns} adds the positions' columns. */
  enum Column implements ResultColumn {
    RUN_ID(String.class), LAYER_INDEX(int.class), WINDOW("win", int.class), LIST_LENGTH(int.class),
    SNAPSHOTS(long.class);

    private final String label;
    private final Class<?> type;

    Column(Class<?> type) {
      this(null, type);
    }

    Column(String label, Class<?> type) {
      this.label = label;
      this.type = type;
    }

    @Override
    public String label() {
      return label != null ? label : name().toLowerCase(Locale.ROOT);
    }

    @Override
    public Class<?> type() {
      return type;
    }
  }

  /** The column of the max of the rates at a (1-based) position. */
  static ResultColumn maxRate(int position) {
    return new ResultColumn.Numbered("max_rate_" + position, Double.class);
  }

  /** The column of the sum of the rates at a (1-based) position. */
  static ResultColumn sumRate(int position) {
    return new ResultColumn.Numbered("sum_rate_" + position, double.class);
  }

  /** Every column of the query for lists read up to {@code width} positions. */
  static List<ResultColumn> columns(int width) {
    List<ResultColumn> columns = new ArrayList<>(Arrays.asList(Column.values()));
    for (int k = 1; k <= width; k++) {
      columns.add(maxRate(k));
      columns.add(sumRate(k));
    }
    return columns;
  }

  static UnitsByPositionRow read(SqlRows.SqlRow r, int width) {
    List<Double> max = new ArrayList<>(width);
    List<Double> sum = new ArrayList<>(width);
    for (int k = 1; k <= width; k++) {
      max.add(r.nullableReal(maxRate(k)));
      sum.add(r.real(sumRate(k)));
    }
    return new UnitsByPositionRow(r.text(Column.RUN_ID), r.integer(Column.LAYER_INDEX), r.integer(Column.WINDOW),
        r.integer(Column.LIST_LENGTH), r.longValue(Column.SNAPSHOTS), max, sum);
  }
}
