package dev.activationmonkey.analytics;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.errors.MonkeyException;
import dev.activationmonkey.errors.ExitCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The activation log (the collector's Parquet dataset) opened for SQL in an embedded DuckDB.
 *
 * <p>Views (see docs/analytics.md): {@code snapshots} (de-duplicated by snapshot identity, see
 * {@link Identity}), {@code activations}, {@code gradients}, {@code parameters}, {@code updates} (the
 * snapshots of one kind), {@code evaluations}, {@code runs}, {@code run_ends}, and
 * {@code snapshots_all} (every row as written, duplicates included, for auditing).
 *
 * <p>The connection is sandboxed: the views live in a temporary database file that is reopened
 * read-only, file access is limited to the dataset's own Parquet files, the configuration is locked,
 * and {@link #query} accepts only SELECT statements. A Parquet file that cannot be read (truncated,
 * corrupt) is left out and named by {@link #badFiles()}; the rest is still queried.
 *
 * <pre>{@code
 * try (ActivationLog log = ActivationLog.open("/data/monkey")) {
 *   for (LayerEpochSummary s : log.layerEpochSummary(log.runIds().get(0))) { ... }
 * }
 * }</pre>
 */
public final class ActivationLog implements AutoCloseable {
  static final String ALL_SNAPSHOTS = "snapshots_all";
  private static final int MAX_QUARANTINE_ROUNDS = 64;

  private final String uri;
  private DatasetFiles files;
  private final Map<String, String> badFiles = new LinkedHashMap<>();
  private Path dbFile;
  private Connection connection;

  private ActivationLog(String uri, DatasetFiles files) {
    this.uri = uri;
    this.files = files;
  }

  /**
   * Opens the dataset at {@code uri} (a local folder; {@code file:} URIs too).
   *
   * @throws InvalidInputException the path is missing, not a folder, or holds no readable snapshot file
   */
  public static ActivationLog open(String uri) {
    requireNonNull(uri, "uri is null");
    if (DatasetFiles.isRemote(uri)) {
      throw new InvalidInputException("DuckDB reads datasets on a local or mounted file system, and " + uri + " is not "
          + "one. For hdfs://, s3a:// and other Hadoop file systems run `monkey report --engine spark --data " + uri
          + "`, or copy the dataset to a local folder.");
    }
    Path root = Path.of(uri.startsWith("file:") ? java.net.URI.create(uri).getPath() : uri);
    DatasetFiles files = DatasetFiles.list(root);
    if (files.files(DatasetFiles.SNAPSHOTS).isEmpty()) {
      throw new InvalidInputException("Dataset " + uri + " is empty: no Parquet files under "
          + root.resolve(DatasetFiles.SNAPSHOTS) + " (files starting with _ or . are in-progress and skipped). "
          + "Has the collector written anything yet?");
    }
    ActivationLog log = new ActivationLog(uri, files);
    try {
      log.connectQuarantiningBadFiles();
    } catch (RuntimeException e) {
      log.close();
      throw e;
    }
    return log;
  }

  /** The dataset root as given. */
  public String uri() {
    return uri;
  }

  /** The files read (bad ones already left out). */
  public DatasetFiles files() {
    return files;
  }

  /** Files left out because they could not be read, each with the reader's error. */
  public Map<String, String> badFiles() {
    return Collections.unmodifiableMap(badFiles);
  }

  /** The sandboxed, read-only DuckDB connection holding the views. Do not close it. */
  public Connection connection() {
    return connection;
  }

  public List<String> runIds() {
    return select("SELECT DISTINCT run_id FROM " + ALL_SNAPSHOTS + " ORDER BY run_id", rs -> rs.getString(1));
  }

  /** The number of de-duplicated snapshot rows of the run. */
  public long snapshotRows(String runId) {
    requireRun(runId);
    return select("SELECT count(*) FROM snapshots WHERE run_id = ?", rs -> rs.getLong(1), runId).get(0);
  }

  /** Fails with an {@link InvalidInputException} listing the known runs when the run is not in the log. */
  public void requireRun(String runId) {
    requireNonNull(runId, "runId is null");
    List<String> runs = runIds();
    if (!runs.contains(runId)) {
      throw new InvalidInputException("Unknown run id '" + runId + "' in " + uri + ". Runs in this log: "
          + (runs.size() > 20 ? String.join(", ", runs.subList(0, 20)) + ", ..." : String.join(", ", runs)));
    }
  }

  /** Per layer and epoch: see {@link LayerEpochSummary} for what the numbers mean. Ordered by layer, epoch. */
  public List<LayerEpochSummary> layerEpochSummary(String runId) {
    requireRun(runId);
    String sql = """
        WITH layer_grad AS (
          SELECT layer_index, epoch, sqrt(sum(l2_norm * l2_norm)) AS norm
          FROM gradients WHERE run_id = ?
          GROUP BY layer_index, epoch, partition_id, iteration
        ), grad AS (
          SELECT layer_index, epoch, avg(norm) AS grad_l2 FROM layer_grad GROUP BY layer_index, epoch
        ), act AS (
          SELECT layer_index, epoch, avg(zero_fraction) AS zero_fraction
          FROM activations WHERE run_id = ? GROUP BY layer_index, epoch
        ), names AS (
          SELECT layer_index, min(layer_name) AS layer_name FROM snapshots WHERE run_id = ? GROUP BY layer_index
        )
        SELECT n.layer_index, n.layer_name, coalesce(a.epoch, g.epoch) AS epoch, a.zero_fraction, g.grad_l2
        FROM act a FULL OUTER JOIN grad g ON a.layer_index = g.layer_index AND a.epoch = g.epoch
        JOIN names n ON n.layer_index = coalesce(a.layer_index, g.layer_index)
        ORDER BY 1, 3
        """;
    return select(sql, rs -> new LayerEpochSummary(rs.getInt(1), rs.getString(2), rs.getInt(3),
        nullableDouble(rs, 4), nullableDouble(rs, 5)), runId, runId, runId);
  }

  /** A user query: SELECT (WITH, FROM-first, SUMMARIZE, DESCRIBE) statements only; anything else is refused. */
  public QueryResult query(String sql, int maxRows) {
    requireNonNull(sql, "sql is null");
    requireSelectOnly(sql);
    return withQuarantine(() -> {
      try (Statement st = connection.createStatement()) {
        st.setMaxRows(maxRows);
        try (ResultSet rs = st.executeQuery(sql)) {
          ResultSetMetaData md = rs.getMetaData();
          List<String> names = new ArrayList<>();
          List<String> types = new ArrayList<>();
          for (int i = 1; i <= md.getColumnCount(); i++) {
            names.add(md.getColumnLabel(i));
            types.add(md.getColumnTypeName(i));
          }
          List<List<Object>> rows = new ArrayList<>();
          while (rs.next() && rows.size() < maxRows) {
            List<Object> row = new ArrayList<>(names.size());
            for (int i = 1; i <= names.size(); i++) {
              row.add(QueryResult.plain(rs.getObject(i)));
            }
            rows.add(row);
          }
          return new QueryResult(names, types, rows);
        }
      }
    }, e -> new InvalidInputException("Query failed: " + firstLine(e.getMessage())));
  }

  private void requireSelectOnly(String sql) {
    String json;
    try (PreparedStatement ps = connection.prepareStatement("SELECT json_serialize_sql(?::VARCHAR)")) {
      ps.setString(1, sql);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        json = rs.getString(1);
      }
    } catch (SQLException e) {
      throw new InvalidInputException("Cannot parse the query: " + firstLine(e.getMessage()));
    }
    if (json.startsWith("{\"error\":true")) {
      if (json.contains("Only SELECT statements")) {
        throw new InvalidInputException("Only read-only SELECT queries are allowed on the activation log "
            + "(no COPY, CREATE, INSERT, ATTACH, SET, PRAGMA, ...): " + abbreviate(sql));
      }
      int at = json.indexOf("\"error_message\":\"");
      String message = at < 0 ? json : json.substring(at + 17, Math.max(at + 17, json.indexOf('"', at + 17)));
      throw new InvalidInputException("Query is not valid SQL: " + message);
    }
  }

  /** A row mapper that may throw SQLException. */
  @FunctionalInterface
  public interface RowMapper<T> {
    T map(ResultSet rs) throws SQLException;
  }

  @FunctionalInterface
  private interface SqlWork<T> {
    T run() throws SQLException;
  }

  /** Runs trusted (internal) SELECT SQL with positional string parameters. Bad files found meanwhile are left out. */
  public <T> List<T> select(String sql, RowMapper<T> mapper, Object... params) {
    return withQuarantine(() -> {
      try (PreparedStatement ps = connection.prepareStatement(sql)) {
        for (int i = 0; i < params.length; i++) {
          ps.setObject(i + 1, params[i]);
        }
        try (ResultSet rs = ps.executeQuery()) {
          List<T> out = new ArrayList<>();
          while (rs.next()) {
            out.add(mapper.map(rs));
          }
          return out;
        }
      }
    }, e -> new MonkeyException(ExitCode.INTERNAL, "Query on " + uri + " failed: " + firstLine(e.getMessage()), e));
  }

  /**
   * Runs the work; when it fails on a Parquet file of the dataset (DuckDB names the file in its error), the
   * file is left out, the views are rebuilt without it and the work runs again.
   */
  private <T> T withQuarantine(SqlWork<T> work, java.util.function.Function<SQLException, MonkeyException> onError) {
    for (int round = 0; ; round++) {
      try {
        return work.run();
      } catch (SQLException e) {
        String bad = fileNamedIn(e.getMessage());
        if (bad == null || round >= MAX_QUARANTINE_ROUNDS) {
          throw onError.apply(e);
        }
        quarantine(bad, e.getMessage());
        reconnect();
      }
    }
  }

  private String fileNamedIn(String message) {
    if (message == null) {
      return null;
    }
    for (String file : files.allFiles()) {
      if (message.contains(file)) {
        return file;
      }
    }
    return null;
  }

  private void quarantine(String file, String message) {
    badFiles.put(file, firstLine(message));
    files = files.without(List.of(file));
    if (files.files(DatasetFiles.SNAPSHOTS).isEmpty()) {
      throw new InvalidInputException("No readable snapshot file in " + uri + ". Unreadable: " + String.join(", ",
          badFiles.entrySet().stream().map(en -> en.getKey() + " (" + en.getValue() + ")").toList()));
    }
  }

  /** Validates every file's footer (cheap: footers only), leaving out unreadable files, then builds the views. */
  private void connectQuarantiningBadFiles() {
    for (int round = 0; ; round++) {
      List<String> all = files.allFiles();
      try (Connection probe = DriverManager.getConnection("jdbc:duckdb:");
           Statement st = probe.createStatement();
           ResultSet rs = st.executeQuery("SELECT count(*) FROM parquet_file_metadata(" + listLiteral(all) + ")")) {
        rs.next();
        break;
      } catch (SQLException e) {
        String bad = fileNamedIn(e.getMessage());
        if (bad == null) {
          bad = findUnreadable(all);
        }
        if (bad == null || round >= MAX_QUARANTINE_ROUNDS) {
          throw new MonkeyException(ExitCode.INTERNAL, "Cannot read " + uri + ": " + firstLine(e.getMessage()), e);
        }
        quarantine(bad, e.getMessage());
      }
    }
    reconnect();
  }

  private static String findUnreadable(List<String> all) {
    try (Connection probe = DriverManager.getConnection("jdbc:duckdb:")) {
      for (String file : all) {
        try (Statement st = probe.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM parquet_file_metadata(" + literal(file) + ")")) {
          rs.next();
        } catch (SQLException e) {
          return file;
        }
      }
    } catch (SQLException e) {
      return null;
    }
    return null;
  }

  private void reconnect() {
    closeConnection();
    try {
      dbFile = Files.createTempFile("monkey-views-", ".duckdb");
      Files.delete(dbFile); // DuckDB creates it; an empty file is not a database
      try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + dbFile);
           Statement st = c.createStatement()) {
        for (String ddl : viewDdl()) {
          st.execute(ddl);
        }
      }
      Properties readOnly = new Properties();
      readOnly.setProperty("duckdb.read_only", "true");
      connection = DriverManager.getConnection("jdbc:duckdb:" + dbFile, readOnly);
      try (Statement st = connection.createStatement()) {
        st.execute("SET allowed_paths = " + listLiteral(files.allFiles()));
        st.execute("SET enable_external_access = false");
        // Row order only matters under ORDER BY; keeping scan order forces order-preserving (slower, more
        // memory-hungry) operators on every aggregation and UNION of the report's large scans.
        st.execute("SET preserve_insertion_order = false");
        st.execute("SET lock_configuration = true");
      }
    } catch (SQLException | IOException e) {
      throw new MonkeyException(ExitCode.INTERNAL, "Cannot open " + uri + " in DuckDB: " + firstLine(e.getMessage()), e);
    }
  }

  private List<String> viewDdl() {
    List<String> ddl = new ArrayList<>();
    ddl.add("CREATE VIEW " + ALL_SNAPSHOTS + " AS SELECT * FROM read_parquet("
        + listLiteral(files.files(DatasetFiles.SNAPSHOTS))
        + ", hive_partitioning = true, union_by_name = true, hive_types = {'run_id': VARCHAR, 'kind': VARCHAR})");
    ddl.add("CREATE VIEW snapshots AS SELECT * FROM " + ALL_SNAPSHOTS
        + " QUALIFY row_number() OVER (PARTITION BY " + Identity.partitionBy() + " ORDER BY "
        + Identity.KEEP_FIRST_ORDER + ") = 1");
    for (String kind : List.of("activation", "gradient", "parameter", "update")) {
      ddl.add("CREATE VIEW " + kind + "s AS SELECT * FROM snapshots WHERE kind = '" + kind + "'");
    }
    for (String table : List.of(DatasetFiles.RUNS, DatasetFiles.EVALUATIONS, DatasetFiles.RUN_ENDS)) {
      List<String> tableFiles = files.files(table);
      if (tableFiles.isEmpty()) {
        // Keep queries and joins valid on a log whose driver records have not arrived (yet).
        ddl.add("CREATE VIEW " + table + " AS SELECT CAST(NULL AS VARCHAR) AS run_id WHERE false");
      } else {
        ddl.add("CREATE VIEW " + table + " AS SELECT * FROM read_parquet(" + listLiteral(tableFiles)
            + ", hive_partitioning = true, union_by_name = true, hive_types = {'run_id': VARCHAR})");
      }
    }
    return ddl;
  }

  static String listLiteral(List<String> values) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < values.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(literal(values.get(i)));
    }
    return sb.append(']').toString();
  }

  static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }

  static double nullableDouble(ResultSet rs, int column) throws SQLException {
    double v = rs.getDouble(column);
    return rs.wasNull() ? Double.NaN : v;
  }

  static String firstLine(String message) {
    if (message == null) {
      return "(no message)";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  private static String abbreviate(String sql) {
    String one = sql.strip().replaceAll("\\s+", " ");
    return one.length() > 80 ? one.substring(0, 77) + "..." : one;
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // closing a read-only view database: nothing to lose
      }
      connection = null;
    }
    if (dbFile != null) {
      try {
        Files.deleteIfExists(dbFile);
        Files.deleteIfExists(Path.of(dbFile + ".wal"));
      } catch (IOException ignored) {
        // a temp file; the OS cleans /tmp
      }
      dbFile = null;
    }
  }

  @Override
  public void close() {
    closeConnection();
  }
}
