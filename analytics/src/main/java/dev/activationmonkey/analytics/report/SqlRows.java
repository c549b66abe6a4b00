package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A query's result as an engine returns it: the columns' labels and each row's values in column order
 * (strings, numbers, null for SQL NULL). Rows are read by column name, through the query's contract
 * ({@link ResultColumn}).
 *
 * @param labels the result's column labels; empty when the engine cannot tell them without a row (DuckDB's
 *     JDBC rows are mapped one by one) and the result has none
 */
record SqlRows(List<String> labels, List<Object[]> values) {
  SqlRows {
    labels = List.copyOf(requireNonNull(labels, "labels is null"));
    requireNonNull(values, "values is null");
  }

  /**
   * Each row as a record.
   *
   * @throws IllegalStateException if the result's columns are not the contract's, in its order (a query
   *     and its contract out of step: a bug, never data)
   */
  <R> List<R> read(List<? extends ResultColumn> contract, Function<SqlRow, R> reader) {
    List<String> expected = ResultColumn.labels(contract);
    if (values.isEmpty() && labels.isEmpty()) {
      return List.of();
    }
    if (!labels.equals(expected)) {
      throw new IllegalStateException("The query returned columns " + labels + " where its contract names " + expected);
    }
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < labels.size(); i++) {
      index.put(labels.get(i), i);
    }
    List<R> out = new ArrayList<>(values.size());
    for (Object[] row : values) {
      out.add(reader.apply(new SqlRow(index, row)));
    }
    return out;
  }

  /** One row's values, by column. */
  static final class SqlRow {
    private final Map<String, Integer> index;
    private final Object[] values;

    SqlRow(Map<String, Integer> index, Object[] values) {
      this.index = index;
      this.values = values;
    }

    /** The value as the engine returned it (null for SQL NULL). */
    Object value(ResultColumn column) {
      Integer i = index.get(column.label());
      if (i == null) {
        throw new IllegalStateException("No column " + column.label() + " in the result " + index.keySet());
      }
      return values[i];
    }

    String text(ResultColumn column) {
      return (String) value(column);
    }

    /** An integer column that is never NULL. */
    int integer(ResultColumn column) {
      return ((Number) value(column)).intValue();
    }

    /** A BIGINT column, NULL read as 0 (a sum or a count over no rows). */
    long longValue(ResultColumn column) {
      Object v = value(column);
      return v == null ? 0 : ((Number) v).longValue();
    }

    /** A BIGINT column whose NULL means something (none). */
    Long nullableLong(ResultColumn column) {
      Object v = value(column);
      return v == null ? null : ((Number) v).longValue();
    }

    /** A floating-point column, NULL read as NaN. */
    double real(ResultColumn column) {
      Object v = value(column);
      return v == null ? Double.NaN : ((Number) v).doubleValue();
    }

    /** A floating-point column whose NULL means something (no value seen). */
    Double nullableReal(ResultColumn column) {
      Object v = value(column);
      return v == null ? null : ((Number) v).doubleValue();
    }

    /** An integer column whose NULL means something (no rows). */
    Integer nullableInteger(ResultColumn column) {
      Object v = value(column);
      return v == null ? null : ((Number) v).intValue();
    }
  }
}
