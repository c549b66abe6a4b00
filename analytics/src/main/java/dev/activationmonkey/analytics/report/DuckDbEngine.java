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

  @Override
  protected List<Object[]> rows(String sql) {
    return log.select(sql, rs -> {
      int n = rs.getMetaData().getColumnCount();
      Object[] row = new Object[n];
      for (int i = 0; i < n; i++) {
        row[i] = rs.getObject(i + 1);
      }
      return row;
    });
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
