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
    try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
        Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SELECT count(*), count(DISTINCT (kafka_partition, kafka_offset)) FROM read_parquet('"
            + dataset.resolve("snapshots") + "/**/*.parquet', hive_partitioning = true)")) {
      rows.next();
      assertEquals(snapshotsSent, rows.getLong(1), "one Parquet row per snapshot the trainer sent");
      assertEquals(snapshotsSent, rows.getLong(2), "no Kafka record written twice");
    }
    assertTrue(output.contains("act. zero"), "the demo prints its per-layer report: " + output);

    MonkeyCommandLineTest.Result status = MonkeyCommandLineTest.run("kafka", "status", "--data-dir", kafka.toString());
    assertEquals(ExitCode.UNAVAILABLE, status.code(), "no broker left running: " + status.out());
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
