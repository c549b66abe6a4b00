package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.DatasetFiles;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report's queries in the embedded DuckDB of an {@link ActivationLog} (its sandboxed, read-only views).
 * What the Parquet footers can answer (key ranges, whether NaN/Inf counts are all 0, the firing-rate lists'
 * width) is read from them, in one metadata query, instead of scanning the columns.
 */
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

  /** {@code -Dmonkey.report.timings=true}: each query's time and its first words on stderr (for profiling). */
  private static final boolean TIMINGS = Boolean.getBoolean("monkey.report.timings");

  @Override
  protected SqlRows query(String sql) {
    if (!TIMINGS) {
      return select(sql);
    }
    long start = System.nanoTime();
    SqlRows rows = select(sql);
    String oneLine = sql.replaceAll("\\s+", " ");
    System.err.printf(Locale.ROOT, "%7.3f s %6d rows  %s%n", (System.nanoTime() - start) / 1e9, rows.values().size(),
        oneLine.substring(0, Math.min(100, oneLine.length())));
    return rows;
  }

  /** The labels are taken from the first row's result set: a result without rows has none (nothing to misread). */
  private SqlRows select(String sql) {
    List<String> labels = new java.util.ArrayList<>();
    List<Object[]> values = log.select(sql, rs -> {
      java.sql.ResultSetMetaData meta = rs.getMetaData();
      int n = meta.getColumnCount();
      if (labels.isEmpty()) {
        for (int i = 1; i <= n; i++) {
          labels.add(meta.getColumnLabel(i));
        }
      }
      Object[] row = new Object[n];
      for (int i = 0; i < n; i++) {
        row[i] = rs.getObject(i + 1);
      }
      return row;
    });
    return new SqlRows(labels, values);
  }

  // ---- what the footers tell -------------------------------------------------------------------------

  /** Columns of the group key, in the order of {@link ReportSql#iterationRanges}. */
  private static final List<String> KEY_COLUMNS = List.of("iteration", "epoch", "layer_index", "partition_id");
  private static final List<String> NON_FINITE_COLUMNS = List.of("nan_count", "pos_inf_count", "neg_inf_count");

  /** Per file and column: min, max (as BIGINT, null if not integers), null count, chunks without statistics, max values per row. */
  private record ColumnStats(long min, long max, boolean hasMinMax, long nulls, long unknown, int valuesPerRow) {}

  private record FileColumnStats(String file, String column, ColumnStats stats) {}

  private static FileColumnStats fileColumnStats(SqlRows.SqlRow r) {
    boolean hasMinMax = r.value(FooterColumn.MIN_VALUE) != null && r.value(FooterColumn.MAX_VALUE) != null;
    return new FileColumnStats(r.text(FooterColumn.FILE_NAME), r.text(FooterColumn.COLUMN_NAME), new ColumnStats(
        r.longValue(FooterColumn.MIN_VALUE), r.longValue(FooterColumn.MAX_VALUE), hasMinMax,
        r.longValue(FooterColumn.NULL_COUNT), r.longValue(FooterColumn.UNKNOWN_CHUNKS),
        (int) r.longValue(FooterColumn.VALUES_PER_ROW)));
  }

  /** The columns of the footer query ({@link #footers}), read into {@link FileColumnStats}. */
  private enum FooterColumn implements ResultColumn {
    FILE_NAME, COLUMN_NAME, MIN_VALUE, MAX_VALUE, NULL_COUNT, UNKNOWN_CHUNKS, VALUES_PER_ROW;

    @Override
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public Class<?> type() {
      return Object.class; // read into ColumnStats, not a record of its own
    }
  }

  /** The columns of the query of each snapshot file's run ({@link #runOfFile}). */
  private enum FileColumn implements ResultColumn {
    RUN_ID, FILENAME;

    @Override
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public Class<?> type() {
      return String.class;
    }
  }

  private DatasetFiles footersFrom;
  private Map<String, Map<String, ColumnStats>> footers;
  private Map<String, String> runOfFile;

  /** The log's files (a file found unreadable is left out of the log, and then everything here is read again). */
  private boolean stale() {
    return footersFrom != log.files();
  }

  /**
   * Statistics of the snapshot files' columns the report needs, from their footers (no data read), or null
   * when they cannot be read (then the scans answer).
   */
  private Map<String, Map<String, ColumnStats>> footers() {
    if (footers == null || stale()) {
      runOfFile = null;
      footersFrom = log.files();
      List<String> files = log.files().files(DatasetFiles.SNAPSHOTS);
      Map<String, Map<String, ColumnStats>> map = new HashMap<>();
      List<String> columns = new java.util.ArrayList<>(KEY_COLUMNS);
      columns.addAll(NON_FINITE_COLUMNS);
      columns.add("firing_rate");
      try {
        String sql = "SELECT " + ReportSql.selectList(FooterColumn.class, c -> switch (c) {
          case FILE_NAME -> "file_name";
          case COLUMN_NAME -> "split_part(path_in_schema, ',', 1)";
          case MIN_VALUE -> "min(TRY_CAST(stats_min AS BIGINT))";
          case MAX_VALUE -> "max(TRY_CAST(stats_max AS BIGINT))";
          case NULL_COUNT -> "sum(stats_null_count)";
          case UNKNOWN_CHUNKS -> "count(*) FILTER (WHERE stats_null_count IS NULL OR (TRY_CAST(stats_min AS BIGINT) IS NULL"
              + " AND stats_null_count < row_group_num_rows))";
          case VALUES_PER_ROW -> "CAST(max(ceil(num_values / row_group_num_rows)) FILTER (WHERE row_group_num_rows > 0) AS INT)";
        }) + " FROM parquet_metadata(" + fileList(files) + ") WHERE split_part(path_in_schema, ',', 1) IN ("
            + ReportSql.inList(columns) + ") GROUP BY ALL";
        for (FileColumnStats f : query(sql).read(List.of(FooterColumn.values()), DuckDbEngine::fileColumnStats)) {
          map.computeIfAbsent(f.file(), k -> new HashMap<>()).put(f.column(), f.stats());
        }
        footers = map;
      } catch (RuntimeException e) {
        footers = null; // a footer unreadable now: the scans tell
      }
    }
    return footers;
  }

  /** Snapshot file to its run, in run order (the hive partition value, as DuckDB reads it). */
  private Map<String, String> runOfFile() {
    if (runOfFile == null || stale()) {
      footers();
      Map<String, String> map = new LinkedHashMap<>();
      List<String> files = log.files().files(DatasetFiles.SNAPSHOTS);
      if (!files.isEmpty()) {
        // virtual columns only: no column data is read
        for (String[] r : query("SELECT DISTINCT " + ReportSql.selectList(FileColumn.class, FileColumn::label)
            + " FROM read_parquet(" + fileList(files) + ", hive_partitioning = true, filename = true, union_by_name = true,"
            + " hive_types = {'run_id': VARCHAR, 'kind': VARCHAR}) ORDER BY run_id, filename")
            .read(List.of(FileColumn.values()), r -> new String[] {r.text(FileColumn.RUN_ID), r.text(FileColumn.FILENAME)})) {
          map.put(r[1], r[0]);
        }
      }
      runOfFile = map;
    }
    return runOfFile;
  }

  @Override
  public List<String> runIds() {
    return runOfFile().values().stream().distinct().toList();
  }

  /**
   * From the Parquet statistics of the runs' files instead of a scan; the scan ({@link SqlReportEngine#keyRanges})
   * when some file lacks a key column or its statistics.
   */
  @Override
  protected Map<String, long[]> keyRanges(Collection<String> runIds) {
    Map<String, String> runs = runOfFile();
    Map<String, Map<String, ColumnStats>> stats = footers();
    Map<String, long[]> out = new LinkedHashMap<>();
    if (stats == null) {
      return super.keyRanges(runIds);
    }
    for (Map.Entry<String, String> file : runs.entrySet()) {
      if (!runIds.contains(file.getValue())) {
        continue;
      }
      Map<String, ColumnStats> columns = stats.getOrDefault(file.getKey(), Map.of());
      long[] all = out.computeIfAbsent(file.getValue(), r -> new long[] {Long.MAX_VALUE, Long.MIN_VALUE,
          Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE, 0});
      for (int c = 0; c < KEY_COLUMNS.size(); c++) {
        ColumnStats s = columns.get(KEY_COLUMNS.get(c));
        if (s == null || s.unknown() > 0) {
          return super.keyRanges(runIds); // a file without the column reads it as NULLs; or no statistics
        }
        if (s.hasMinMax()) {
          all[2 * c] = Math.min(all[2 * c], s.min());
          all[2 * c + 1] = Math.max(all[2 * c + 1], s.max());
        }
        all[8] += s.nulls();
      }
    }
    for (long[] all : out.values()) {
      for (int i = 0; i < 8; i += 2) {
        if (all[i] > all[i + 1]) {
          return super.keyRanges(runIds); // a column NULL in every row of a run: let the scan say what it says
        }
      }
    }
    return out;
  }

  /**
   * From the footers: NaN/Inf counts can be non-zero only where a row group's max of nan_count, pos_inf_count
   * or neg_inf_count is above 0 or unknown. A healthy log has none, and the report then does not read those
   * three columns. Every file is looked at, not only the runs' (a NaN anywhere only means the columns are read).
   */
  @Override
  protected boolean mayHoldNonFinite(Collection<String> runIds) {
    Map<String, Map<String, ColumnStats>> stats = footers();
    if (stats == null) {
      return true;
    }
    for (String file : log.files().files(DatasetFiles.SNAPSHOTS)) {
      Map<String, ColumnStats> columns = stats.getOrDefault(file, Map.of());
      for (String column : NON_FINITE_COLUMNS) {
        ColumnStats s = columns.get(column);
        if (s == null) {
          continue; // not in this file: read as NULL, as 0 by the report
        }
        if (s.unknown() > 0 || (s.hasMinMax() && s.max() > 0)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * From the activation files' footers: values per row of the firing-rate column in each row group, i.e. the
   * mean list length there; exact when a file's lists are alike, a guess otherwise.
   */
  @Override
  protected int unitsGuess(Collection<String> runIds) {
    Map<String, Map<String, ColumnStats>> stats = footers();
    if (stats == null) {
      return super.unitsGuess(runIds);
    }
    int guess = 0;
    for (String file : log.files().files(DatasetFiles.SNAPSHOTS)) {
      if (file.replace('\\', '/').contains("/kind=activation/")) {
        ColumnStats s = stats.getOrDefault(file, Map.of()).get("firing_rate");
        guess = Math.max(guess, s == null ? 0 : s.valuesPerRow());
      }
    }
    return guess;
  }

  private static String fileList(List<String> files) {
    StringBuilder list = new StringBuilder("[");
    for (int i = 0; i < files.size(); i++) {
      list.append(i == 0 ? "" : ", ").append(ReportSql.literal(files.get(i)));
    }
    return list.append(']').toString();
  }

  @Override
  protected boolean hasTable(String table) {
    return !log.files().files(table).isEmpty();
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
