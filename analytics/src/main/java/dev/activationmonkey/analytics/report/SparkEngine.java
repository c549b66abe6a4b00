package dev.activationmonkey.analytics.report;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.DatasetFiles;
import dev.activationmonkey.analytics.Identity;
import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.errors.MonkeyException;
import dev.activationmonkey.errors.ServiceUnavailableException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;

/**
 * The report's aggregations in Spark SQL, for logs too large for one machine. The same views as
 * {@link ActivationLog} (snapshots de-duplicated by {@link Identity}, the per-kind views, evaluations) are
 * registered as temporary views and {@link ReportSql} runs on them.
 *
 * <p>Under spark-submit the active session (and its master) is used; otherwise a session is started on
 * {@code master} (default {@code local[*]}) and stopped on {@link #close()}.
 */
public final class SparkEngine extends SqlReportEngine {
  private final SparkSession spark;
  private final boolean ownsSession;
  private final DatasetFiles files;
  private final Map<String, String> badFiles;

  private SparkEngine(SparkSession spark, boolean ownsSession, DatasetFiles files, Map<String, String> badFiles) {
    super(ReportSql.Dialect.SPARK);
    this.spark = spark;
    this.ownsSession = ownsSession;
    this.files = files;
    this.badFiles = badFiles;
  }

  /**
   * Opens the dataset: files are listed through Hadoop's {@code FileSystem} (a local path, or {@code hdfs://},
   * {@code s3a://}, ... where the connector is on the classpath) and their footers checked first (unreadable ones
   * are left out and named, as with DuckDB), then read by Spark.
   *
   * @param master a Spark master URL, or null for the active session's / {@code local[*]}
   */
  public static SparkEngine open(String uri, String master) {
    SparkSession active = SparkSession.getActiveSession().isDefined() ? SparkSession.getActiveSession().get() : null;
    SparkSession spark;
    try {
      if (active != null && master == null) {
        spark = active;
      } else {
        SparkSession.Builder builder = SparkSession.builder().appName("monkey report")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "8")
            // run_id values such as "42" must stay strings, as in DuckDB (hive_types VARCHAR)
            .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
            .config("spark.sql.files.ignoreCorruptFiles", "false");
        builder.master(master != null ? master : "local[*]");
        spark = builder.getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
      }
    } catch (RuntimeException e) {
      throw new ServiceUnavailableException("Cannot start Spark on master " + master + ": " + e.getMessage(), e);
    }
    // The collector writes float columns BYTE_STREAM_SPLIT-encoded; Spark 3.5's vectorized Parquet reader cannot
    // decode that encoding ("Unsupported encoding: BYTE_STREAM_SPLIT"), parquet-java's row reader can. Session-level,
    // so it also applies to a session spark-submit started.
    spark.conf().set("spark.sql.parquet.enableVectorizedReader", "false");
    boolean owns = active == null || master != null;
    HadoopDataset.Listing listing;
    try {
      // Listed through the session's Hadoop configuration: its credentials and connectors serve remote URIs.
      listing = HadoopDataset.list(uri, spark.sparkContext().hadoopConfiguration());
    } catch (RuntimeException | Error e) {
      if (owns) {
        spark.stop();
      }
      throw e;
    }
    DatasetFiles files = listing.files();
    Map<String, String> bad = new LinkedHashMap<>(listing.badFiles());
    SparkEngine engine = new SparkEngine(spark, owns, files, bad);
    try {
      engine.registerViews();
    } catch (RuntimeException | Error e) {
      engine.close();
      throw e;
    }
    return engine;
  }

  private void registerViews() {
    Dataset<Row> all = read(DatasetFiles.SNAPSHOTS);
    all.createOrReplaceTempView("snapshots_all");
    org.apache.spark.sql.expressions.WindowSpec identity = Window
        .partitionBy(Identity.COLUMNS.stream().map(functions::col).toArray(org.apache.spark.sql.Column[]::new))
        .orderBy(functions.col("attempt_number").desc(), functions.col("kafka_partition").desc(),
            functions.col("kafka_offset").desc());
    Dataset<Row> snapshots = all.withColumn("__keep", functions.row_number().over(identity))
        .filter("__keep = 1").drop("__keep");
    snapshots.createOrReplaceTempView("snapshots");
    for (String kind : List.of("activation", "gradient", "parameter", "update")) {
      spark.sql("SELECT * FROM snapshots WHERE kind = '" + kind + "'").createOrReplaceTempView(kind + "s");
    }
    for (String table : List.of(DatasetFiles.EVALUATIONS, DatasetFiles.RUNS, DatasetFiles.RUN_ENDS)) {
      if (!files.files(table).isEmpty()) {
        read(table).createOrReplaceTempView(table);
      }
    }
  }

  private Dataset<Row> read(String table) {
    List<String> paths = files.files(table);
    // Local files by their file: URI: a plain path would resolve against fs.defaultFS (HDFS on a cluster).
    return spark.read().option("basePath", qualified(files.tableRoot(table))).option("mergeSchema", "true")
        .parquet(paths.stream().map(SparkEngine::qualified).toArray(String[]::new));
  }

  private static String qualified(String path) {
    return DatasetFiles.isRemote(path) || path.startsWith("file:") ? path : new java.io.File(path).toURI().toString();
  }

  /** The session, for callers that run their own Spark SQL over the views. */
  public SparkSession session() {
    return spark;
  }

  @Override
  public String name() {
    return "spark";
  }

  @Override
  protected SqlRows query(String sql) {
    try {
      Dataset<Row> result = spark.sql(sql);
      List<Object[]> values = new ArrayList<>();
      for (Row r : result.collectAsList()) {
        Object[] row = new Object[r.length()];
        for (int i = 0; i < row.length; i++) {
          row[i] = r.isNullAt(i) ? null : r.get(i);
        }
        values.add(row);
      }
      return new SqlRows(List.of(result.columns()), values);
    } catch (RuntimeException e) {
      throw new MonkeyException(ExitCode.INTERNAL, "Spark SQL failed: " + firstLine(e.getMessage()), e);
    }
  }

  @Override
  protected boolean hasTable(String table) {
    return !files.files(table).isEmpty();
  }

  @Override
  public Map<String, String> badFiles() {
    return badFiles;
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }

  @Override
  public void close() {
    if (ownsSession) {
      spark.stop();
    }
  }
}
