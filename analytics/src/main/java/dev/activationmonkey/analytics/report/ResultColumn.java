package dev.activationmonkey.analytics.report;

import java.util.List;

/**
 * One column of a report query's result: the name the SQL selects it {@code AS} and the Java type its row
 * record holds. Each query's columns are an enum implementing this (nested in the query's row record), so the
 * SQL that selects them ({@link ReportSql}) and the code that reads them ({@link SqlRows}) name them in one
 * place: adding or reordering a column cannot shift the others, and a result whose columns are not the
 * contract's fails to read instead of being read wrongly.
 */
interface ResultColumn {
  /** The column's name in the result (an SQL identifier both engines accept unquoted). */
  String label();

  /** The Java type of the row record's component that holds the column. */
  Class<?> type();

  /** A column not known in advance (one per list position), for queries whose width depends on the data. */
  record Numbered(String label, Class<?> type) implements ResultColumn {}

  /** The labels of columns, in order. */
  static List<String> labels(List<? extends ResultColumn> columns) {
    return columns.stream().map(ResultColumn::label).toList();
  }
}
