package dev.activationmonkey.analytics.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.activationmonkey.analytics.QueryResult;
import dev.activationmonkey.analytics.report.TextTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Renders query results as an aligned table, RFC 4180 CSV, or JSON (an array of objects). */
public final class QueryFormats {
  private QueryFormats() {}

  public static String table(QueryResult r) {
    TextTable t = new TextTable(r.columns());
    for (List<Object> row : r.rows()) {
      t.row(row.stream().map(QueryFormats::text).toList());
    }
    return t.render("") + "(" + r.rows().size() + " row" + (r.rows().size() == 1 ? "" : "s") + ")\n";
  }

  public static String csv(QueryResult r) {
    StringBuilder sb = new StringBuilder();
    sb.append(r.columns().stream().map(QueryFormats::csvCell).collect(Collectors.joining(","))).append("\r\n");
    for (List<Object> row : r.rows()) {
      sb.append(row.stream().map(v -> v == null ? "" : csvCell(text(v))).collect(Collectors.joining(",")))
          .append("\r\n");
    }
    return sb.toString();
  }

  public static String json(QueryResult r) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (List<Object> row : r.rows()) {
      Map<String, Object> o = new LinkedHashMap<>();
      for (int i = 0; i < r.columns().size(); i++) {
        o.put(r.columns().get(i), jsonValue(row.get(i)));
      }
      rows.add(o);
    }
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(rows) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Object jsonValue(Object v) {
    if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
      return d.toString();
    }
    if (v instanceof Float f && (f.isNaN() || f.isInfinite())) {
      return f.toString();
    }
    if (v instanceof Number || v instanceof Boolean || v == null || v instanceof String) {
      return v;
    }
    if (v instanceof List<?> list) {
      return list.stream().map(QueryFormats::jsonValue).toList();
    }
    return v.toString();
  }

  static String text(Object v) {
    if (v == null) {
      return "NULL";
    }
    if (v instanceof List<?> list) {
      return list.stream().map(QueryFormats::text).collect(Collectors.joining(", ", "[", "]"));
    }
    return v.toString();
  }

  private static String csvCell(String s) {
    if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
      return "\"" + s.replace("\"", "\"\"") + "\"";
    }
    return s;
  }
}
