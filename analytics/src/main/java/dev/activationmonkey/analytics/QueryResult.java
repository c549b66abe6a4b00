package dev.activationmonkey.analytics;

import static java.util.Objects.requireNonNull;

import java.sql.Array;
import java.sql.SQLException;
import java.sql.Struct;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The result of a user query: column names, DuckDB type names, rows of plain Java values. */
public record QueryResult(List<String> columns, List<String> types, List<List<Object>> rows) {
  public QueryResult {
    columns = List.copyOf(requireNonNull(columns, "columns is null"));
    types = List.copyOf(requireNonNull(types, "types is null"));
    requireNonNull(rows, "rows is null");
  }

  /** JDBC arrays and structs as Java lists, so formatters and JSON need not know JDBC. */
  static Object plain(Object value) {
    try {
      if (value instanceof Array array) {
        Object[] items = (Object[]) array.getArray();
        List<Object> out = new ArrayList<>(items.length);
        for (Object item : items) {
          out.add(plain(item));
        }
        return out;
      }
      if (value instanceof Struct struct) {
        return Arrays.stream(struct.getAttributes()).map(QueryResult::plain).toList();
      }
    } catch (SQLException e) {
      return String.valueOf(value);
    }
    return value;
  }
}
