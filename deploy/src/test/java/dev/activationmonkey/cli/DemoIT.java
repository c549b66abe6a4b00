package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.errors.ExitCode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command, end to end: real broker, real Spark job, real Parquet read back by DuckDB. */
class DemoIT {
  @TempDir Path dir;

  @Test
  void demoWritesOneParquetRowPerSnapshotSentAndLeavesNoBrokerRunning() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path dataset = dir.resolve("dataset");
    Path kafka = dir.resolve("kafka");

    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int code;
    System.setOut(new PrintStream(new TeeStream(captured, original), true, StandardCharsets.UTF_8));
    try {
      code = Monkey.commandLine().execute(
          "demo", "--data-dir", dataset.toString(), "--kafka-dir", kafka.toString(),
          "--port", Integer.toString(port), "--epochs", "1");
    } finally {
      System.setOut(original);
    }
    String output = captured.toString(StandardCharsets.UTF_8);
    assertEquals(ExitCode.OK, code, output);

    Matcher sent = Pattern.compile("layer snapshots sent by the trainer : ([\\d,]+)").matcher(output);
    assertTrue(sent.find(), output);
    long snapshotsSent = Long.parseLong(sent.group(1).replace(",", ""));
    assertTrue(snapshotsSent > 0, output);

    // An independent reader: DuckDB straight over the files, no Activation Monkey code involved.
    long firingValues;
    try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT count(*), count(DISTINCT (kafka_partition, kafka_offset)),"
            + " sum(coalesce(len(firing_rate), 0)) FROM read_parquet('" + dataset.resolve("snapshots")
            + "/**/*.parquet', hive_partitioning = true)")) {
      rows.next();
      assertEquals(snapshotsSent, rows.getLong(1), "one Parquet row per snapshot the trainer sent");
      assertEquals(snapshotsSent, rows.getLong(2), "no Kafka record written twice");
      firingValues = rows.getLong(3);
    }
    assertTrue(output.contains("act. zero"), "the demo prints its per-layer report: " + output);
    assertTrue(firingValues > 0, "per-neuron firing rates written as list columns");

    // Two more independent readers of the same files: Spark SQL and pyarrow (issue: readable by DuckDB, Spark, pyarrow).
    // Spark 3.5's vectorized reader cannot decode BYTE_STREAM_SPLIT (the float columns' encoding): its row reader can.
    org.apache.spark.sql.SparkSession spark = org.apache.spark.sql.SparkSession.builder().master("local[1]")
        .appName("demo-read-back").config("spark.ui.enabled", "false")
        .config("spark.sql.parquet.enableVectorizedReader", "false").getOrCreate();
    try {
      org.apache.spark.sql.Row row = spark.read().parquet(dataset.resolve("snapshots").toUri().toString())
          .selectExpr("count(*)", "sum(CASE WHEN firing_rate IS NULL THEN 0 ELSE size(firing_rate) END)").first();
      assertEquals(snapshotsSent, row.getLong(0), "Spark reads one row per snapshot");
      assertEquals(firingValues, row.getLong(1), "Spark reads the same list columns");
    } finally {
      spark.stop();
    }
    // The report on the collector's own files, both engines: the same runs and per-iteration rows.
    dev.activationmonkey.analytics.report.Report duck;
    try (var engine = new dev.activationmonkey.analytics.report.DuckDbEngine(
        dev.activationmonkey.analytics.ActivationLog.open(dataset.toString()), true)) {
      duck = new dev.activationmonkey.analytics.report.ReportBuilder(engine,
          dev.activationmonkey.analytics.report.Thresholds.defaults()).build(dataset.toString(), java.util.List.of());
    }
    dev.activationmonkey.analytics.report.Report onSpark;
    try (var engine = dev.activationmonkey.analytics.report.SparkEngine.open(dataset.toString(), "local[1]")) {
      onSpark = new dev.activationmonkey.analytics.report.ReportBuilder(engine,
          dev.activationmonkey.analytics.report.Thresholds.defaults()).build(dataset.toString(), java.util.List.of());
    }
    assertEquals(1, duck.runs().size());
    assertEquals(duck.runs().get(0).runId(), onSpark.runs().get(0).runId());
    assertEquals(duck.runs().get(0).series().size(), onSpark.runs().get(0).series().size());
    assertEquals(duck.alerts().size(), onSpark.alerts().size());
    String pyarrow = pyarrowCounts(dataset);
    if (pyarrow != null) {
      assertEquals(snapshotsSent + " " + firingValues, pyarrow, "pyarrow reads the same rows and list values");
    }

    MonkeyCommandLineTest.Result status = MonkeyCommandLineTest.run("kafka", "status", "--data-dir", kafka.toString());
    assertEquals(ExitCode.UNAVAILABLE, status.code(), "no broker left running: " + status.out());
  }

  /**
   * "ROWS LIST_VALUES" as pyarrow reads the snapshots table, or null where no python with pyarrow is installed
   * (CI installs one and sets MONKEY_PYTHON; there its absence fails the test).
   */
  private static String pyarrowCounts(Path dataset) throws Exception {
    String python = System.getenv().getOrDefault("MONKEY_PYTHON", "python3");
    String script = String.join("\n",
        "import sys, pyarrow.dataset as ds, pyarrow.compute as pc",
        "t = ds.dataset(sys.argv[1], format='parquet', partitioning='hive', ignore_prefixes=['_', '.']).to_table()",
        "print(t.num_rows, pc.sum(pc.list_value_length(t.column('firing_rate')).fill_null(0)).as_py() or 0)");
    Process process;
    try {
      process = new ProcessBuilder(python, "-c", script, dataset.resolve("snapshots").toString())
          .redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      return absent("no " + python + ": " + e.getMessage());
    }
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    int code = process.waitFor();
    if (code != 0 && out.contains("No module named 'pyarrow'")) {
      return absent(out);
    }
    assertEquals(0, code, "pyarrow failed to read the dataset: " + out);
    return out;
  }

  private static String absent(String why) {
    if (System.getenv("MONKEY_PYTHON") != null) {
      throw new AssertionError("MONKEY_PYTHON is set but pyarrow cannot run: " + why);
    }
    System.err.println("DemoIT: pyarrow check skipped (" + why + "); .ci/run installs pyarrow and sets MONKEY_PYTHON");
    return null;
  }

  /** Keeps the demo's progress visible in the test log while capturing it. */
  private static final class TeeStream extends java.io.OutputStream {
    private final java.io.OutputStream a;
    private final java.io.OutputStream b;

    TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int value) throws java.io.IOException {
      a.write(value);
      b.write(value);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws java.io.IOException {
      a.write(bytes, offset, length);
      b.write(bytes, offset, length);
    }
  }
}
