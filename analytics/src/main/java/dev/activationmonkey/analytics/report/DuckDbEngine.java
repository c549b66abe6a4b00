package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.DatasetFiles;
import java.util.List;
import java.util.Map;

/** The report's queries in the embedded DuckDB of an {@link ActivationLog} (its sandboxed, read-only views). */
public final class DuckDbEngine extends SqlReportEngine {
  private final ActivationLog log;
  private final boolean ownsLog;

  /** @param ownsLog close the log with this engine */
  public DuckDbEngine(ActivationLog log, boolean ownsLog) {
    super(ReportSql.Dialect.DUCKDB);
    this.log = requireNonNull(log, "log is null");
    this.ownsLog = ownsLog;
  }

  @Override
  public String name() {
    return "duckdb";
  }

  /** {@code -Dmonkey.report.timings=true}: each query's time and its first line on stderr (for profiling). */
  private static final boolean TIMINGS = Boolean.getBoolean("monkey.report.timings");

  @Override
  protected List<Object[]> rows(String sql) {
    if (!TIMINGS) {
      return select(sql);
    }
    long start = System.nanoTime();
    List<Object[]> rows = select(sql);
    System.err.printf(java.util.Locale.ROOT, "%7.3f s %6d rows  %s%n", (System.nanoTime() - start) / 1e9, rows.size(),
        sql.replaceAll("\\s+", " ").substring(0, Math.min(100, sql.replaceAll("\\s+", " ").length())));
    return rows;
  }

  private List<Object[]> select(String sql) {
    return log.select(sql, rs -> {
      int n = rs.getMetaData().getColumnCount();
      Object[] row = new Object[n];
      for (int i = 0; i < n; i++) {
        row[i] = rs.getObject(i + 1);
      }
      return row;
    });
  }

  /**
   * From the activation files' Parquet footers (no data read): values per row of the firing-rate column in
   * each row group, i.e. the mean list length there; exact when a file's lists are alike, a guess otherwise.
   */
  @Override
  protected int unitsGuess(java.util.Collection<String> runIds) {
    List<String> files = log.files().files(DatasetFiles.SNAPSHOTS).stream()
        .filter(f -> f.replace('\\', '/').contains("/kind=activation/")).toList();
    if (files.isEmpty()) {
      return 0;
    }
    StringBuilder list = new StringBuilder("[");
    for (int i = 0; i < files.size(); i++) {
      list.append(i == 0 ? "" : ", ").append(ReportSql.literal(files.get(i)));
    }
    try {
      List<Object[]> r = rows("SELECT CAST(max(ceil(num_values / row_group_num_rows)) AS INT) FROM parquet_metadata("
          + list + "]) WHERE split_part(path_in_schema, ',', 1) = 'firing_rate' AND row_group_num_rows > 0");
      return r.isEmpty() || r.get(0)[0] == null ? 0 : ((Number) r.get(0)[0]).intValue();
    } catch (RuntimeException e) {
      return super.unitsGuess(runIds); // a footer unreadable now: the scan tells
    }
  }

  @Override
  protected boolean hasEvaluations() {
    return !log.files().files(DatasetFiles.EVALUATIONS).isEmpty();
  }

  @Override
  public Map<String, String> badFiles() {
    return log.badFiles();
  }

  @Override
  public void close() {
    if (ownsLog) {
      log.close();
    }
  }
}
