package dev.activationmonkey.analytics.bench;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes snapshot Parquet files in the collector's layout
 * ({@code <root>/snapshots/run_id=<id>/kind=<kind>/<topic>+<partition>+<first>+<last>.parquet}, run_id and
 * kind only in the path) from a DuckDB SELECT, so synthetic logs (the benchmark's, the tests') are
 * written by an engine independent of the code that reads them.
 *
 * <p>Every column of the snapshots table has a default; a caller overrides the ones its scenario is about
 * with SQL expressions over its FROM clause (for example {@code range(1000) t(i)}).
 */
public final class SnapshotFileWriter implements AutoCloseable {
  /** Column, then its default SQL expression (typed as the collector writes it). */
  public static final Map<String, String> COLUMNS = columns();

  private static Map<String, String> columns() {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("partition_id", "CAST(0 AS INTEGER)");
    c.put("attempt_number", "CAST(0 AS INTEGER)");
    c.put("task_attempt_id", "CAST(-1 AS BIGINT)");
    c.put("stage_id", "CAST(-1 AS INTEGER)");
    c.put("executor_id", "'driver'");
    c.put("host", "'localhost'");
    c.put("thread", "'main'");
    c.put("epoch", "CAST(0 AS INTEGER)");
    c.put("iteration", "CAST(0 AS BIGINT)");
    c.put("layer_index", "CAST(0 AS INTEGER)");
    c.put("layer_name", "'layer0'");
    c.put("layer_type", "'DenseLayer'");
    c.put("activation_function", "CAST('relu' AS VARCHAR)");
    c.put("parameter_name", "CAST(NULL AS VARCHAR)");
    c.put("timestamp", "CAST(TIMESTAMP '2025-01-01 00:00:00' AS TIMESTAMP_MS)");
    c.put("count", "CAST(1000 AS BIGINT)");
    c.put("mean", "CAST(0.1 AS DOUBLE)");
    c.put("std", "CAST(1.0 AS DOUBLE)");
    c.put("min", "CAST(-1.0 AS DOUBLE)");
    c.put("max", "CAST(1.0 AS DOUBLE)");
    c.put("mean_abs", "CAST(0.5 AS DOUBLE)");
    c.put("l2_norm", "CAST(1.0 AS DOUBLE)");
    c.put("zero_fraction", "CAST(0.0 AS DOUBLE)");
    c.put("near_zero_fraction", "CAST(0.0 AS DOUBLE)");
    c.put("near_zero_threshold", "CAST(1e-6 AS DOUBLE)");
    c.put("nan_count", "CAST(0 AS BIGINT)");
    c.put("pos_inf_count", "CAST(0 AS BIGINT)");
    c.put("neg_inf_count", "CAST(0 AS BIGINT)");
    c.put("histogram_edges", "CAST(NULL AS DOUBLE[])");
    c.put("histogram_counts", "CAST(NULL AS BIGINT[])");
    c.put("neuron_unit", "CAST(NULL AS VARCHAR)");
    c.put("neuron_examples", "CAST(NULL AS INTEGER)");
    c.put("firing_rate", "CAST(NULL AS FLOAT[])");
    c.put("mean_activation", "CAST(NULL AS FLOAT[])");
    c.put("saturated_fraction", "CAST(NULL AS DOUBLE)");
    c.put("sample_shape", "CAST(NULL AS INTEGER[])");
    c.put("sample_values", "CAST(NULL AS FLOAT[])");
    c.put("format_version", "CAST(2 AS INTEGER)");
    c.put("kafka_topic", "'monkey.snapshots'");
    c.put("kafka_partition", "CAST(0 AS INTEGER)");
    c.put("kafka_offset", "CAST(0 AS BIGINT)");
    return java.util.Collections.unmodifiableMap(c);
  }

  private final Path root;
  private final Connection connection;

  public SnapshotFileWriter(Path root) {
    this.root = requireNonNull(root, "root is null");
    try {
      connection = DriverManager.getConnection("jdbc:duckdb:");
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot start DuckDB", e);
    }
  }

  /**
   * Writes one file.
   *
   * @param overrides column to SQL expression over {@code from}; unknown columns are refused
   * @param from a FROM clause body, e.g. {@code range(100) t(i)}
   * @return the file written
   */
  public Path write(String runId, String kind, String fileName, Map<String, String> overrides, String from) {
    for (String column : overrides.keySet()) {
      if (!COLUMNS.containsKey(column)) {
        throw new IllegalArgumentException("Not a snapshots column: " + column);
      }
    }
    StringBuilder select = new StringBuilder("SELECT ");
    boolean first = true;
    for (Map.Entry<String, String> column : COLUMNS.entrySet()) {
      String expression = overrides.getOrDefault(column.getKey(), column.getValue());
      select.append(first ? "" : ", ").append("CAST(").append(expression).append(" AS ")
          .append(type(column.getValue())).append(") AS \"").append(column.getKey()).append('"');
      first = false;
    }
    select.append(" FROM ").append(from);
    return copy(select.toString(), root.resolve("snapshots").resolve("run_id=" + runId).resolve("kind=" + kind)
        .resolve(fileName));
  }

  /** Writes any SELECT as a Parquet file under root/relativePath (run-level tables, odd files in tests). */
  public Path writeTable(String relativePath, String select) {
    return copy(select, root.resolve(relativePath));
  }

  private Path copy(String select, Path file) {
    try {
      Files.createDirectories(file.getParent());
      try (Statement st = connection.createStatement()) {
        st.execute("COPY (" + select + ") TO '" + file.toString().replace("'", "''")
            + "' (FORMAT PARQUET, COMPRESSION ZSTD)");
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SQLException e) {
      throw new IllegalStateException("Cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  private static String type(String defaultExpression) {
    if (defaultExpression.startsWith("CAST(")) {
      int as = defaultExpression.lastIndexOf(" AS ");
      return defaultExpression.substring(as + 4, defaultExpression.length() - 1);
    }
    return "VARCHAR";
  }

  public Connection connection() {
    return connection;
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (SQLException ignored) {
      // in-memory database
    }
  }
}
