package dev.activationmonkey.analytics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.analytics.fixtures.SnapshotFileWriter;
import dev.activationmonkey.errors.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ActivationLogTest {
  @TempDir
  Path root;

  private void twoLayerRun(String run, int iterations) {
    TestLogs.writeRun(root, run, iterations, 2, 0, List.of(TestLogs.Layer.healthy(0), TestLogs.Layer.healthy(1)));
  }

  @Test
  void viewsCountEachSnapshotOnceKeepingTheHighestAttempt() throws Exception {
    twoLayerRun("r1", 10);
    // Worker 0's task was retried: attempt 1 re-sent layer 0's snapshots with other values.
    TestLogs.writeRun(root, "r1", 10, 1, 1, List.of(TestLogs.Layer.healthy(0).zeroFraction("0.9")));
    try (ActivationLog log = ActivationLog.open(root.toString())) {
      // 2 layers x 2 workers x 10 iterations x (1 activation + 2 gradients + 2 parameters + 2 updates)
      assertEquals(2 * 2 * 10 * 7, log.snapshotRows("r1"));
      assertEquals(2 * 2 * 10 * 7 + 10 * 7, log.query("SELECT * FROM snapshots_all", 1_000_000).rows().size());
      List<List<Object>> kept = log.query("SELECT DISTINCT attempt_number, zero_fraction FROM activations "
          + "WHERE layer_index = 0 AND partition_id = 0", 10).rows();
      assertEquals(List.of(List.of(1, 0.9)), kept);
      assertEquals(2 * 10 * 2, log.query("SELECT * FROM gradients WHERE layer_index = 1", 1000).rows().size());
      assertEquals(List.of("r1"), log.runIds());
    }
  }

  @Test
  void layerEpochSummaryAveragesActivationsAndCombinesParameterGradients() {
    TestLogs.writeRun(root, "r1", 100, 2, 0, List.of(TestLogs.Layer.healthy(0).zeroFraction("i / 100.0").gradientW("2.0")));
    try (ActivationLog log = ActivationLog.open(root.toString())) {
      List<LayerEpochSummary> rows = log.layerEpochSummary("r1");
      assertEquals(2, rows.size());
      // epoch 0 = iterations 0..49: mean of i/100 = 0.245; epoch 1: 0.745
      assertEquals(0.245, rows.get(0).activationZeroFraction(), 1e-9);
      assertEquals(0.745, rows.get(1).activationZeroFraction(), 1e-9);
      // W's gradient L2 2.0, b's 0.4: the layer's gradient sqrt(4 + 0.16)
      assertEquals(Math.sqrt(4.16), rows.get(0).gradientL2Norm(), 1e-9);
      assertEquals("dense0", rows.get(0).layerName());
      assertEquals(1, rows.get(1).epoch());
    }
  }

  @Test
  void remoteUriIsInvalidInputPointingToTheSparkEngine() {
    dev.activationmonkey.errors.InvalidInputException e = org.junit.jupiter.api.Assertions.assertThrows(
        dev.activationmonkey.errors.InvalidInputException.class, () -> ActivationLog.open("hdfs://namenode:8020/monkey"));
    assertTrue(e.getMessage().contains("hdfs://namenode:8020/monkey") && e.getMessage().contains("--engine spark"),
        e.getMessage());
    // A Windows drive letter or a plain relative path is not a remote scheme.
    assertFalse(DatasetFiles.isRemote("C:/data/monkey"));
    assertFalse(DatasetFiles.isRemote("data/run:1"));
    assertTrue(DatasetFiles.isRemote("s3a://bucket/monkey"));
  }

  @Test
  void missingPathIsInvalidInputNamingThePath() {
    Path missing = root.resolve("nope");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> ActivationLog.open(missing.toString()));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    assertEquals(2, e.exitCode());
  }

  @Test
  void emptyDatasetIsInvalidInput() throws Exception {
    Files.createDirectories(root.resolve("snapshots/run_id=r1/kind=activation"));
    // An in-progress temp file is not data.
    Files.writeString(root.resolve("snapshots/run_id=r1/kind=activation/_tmp.parquet"), "partial");
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> ActivationLog.open(root.toString()));
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
  }

  @Test
  void unknownRunIsInvalidInputListingKnownRuns() {
    twoLayerRun("r1", 5);
    try (ActivationLog log = ActivationLog.open(root.toString())) {
      InvalidInputException e = assertThrows(InvalidInputException.class, () -> log.snapshotRows("r9"));
      assertTrue(e.getMessage().contains("r9") && e.getMessage().contains("r1"), e.getMessage());
    }
  }

  @Test
  void hiddenAndInProgressFilesAreIgnored() throws Exception {
    twoLayerRun("r1", 5);
    try (SnapshotFileWriter w = new SnapshotFileWriter(root)) {
      w.write("r1", "activation", "_monkey.snapshots+0+0+4.parquet", Map.of(), "range(5) t(i)");
      w.write("r1", "activation", ".monkey.snapshots+0+5+9.parquet", Map.of(), "range(5) t(i)");
      w.write("r2", "activation", "x.parquet", Map.of(), "range(5) t(i)");
      Files.move(root.resolve("snapshots/run_id=r2"), root.resolve("snapshots/_run_id=r2"));
    }
    try (ActivationLog log = ActivationLog.open(root.toString())) {
      assertEquals(2 * 2 * 5 * 7, log.snapshotRows("r1"));
      assertEquals(List.of("r1"), log.runIds());
    }
  }

  @Test
  void corruptFileIsLeftOutAndNamedWhileTheRestIsRead() throws Exception {
    twoLayerRun("r1", 5);
    Path good = Files.list(root.resolve("snapshots/run_id=r1/kind=gradient")).findFirst().orElseThrow();
    byte[] bytes = Files.readAllBytes(good);
    Path bad = good.resolveSibling("monkey.snapshots+9+0+99.parquet");
    Files.write(bad, java.util.Arrays.copyOf(bytes, bytes.length / 2)); // truncated: the footer is gone
    try (ActivationLog log = ActivationLog.open(root.toString())) {
      assertEquals(List.of(bad.toString()), List.copyOf(log.badFiles().keySet()));
      assertEquals(2 * 2 * 5 * 7, log.snapshotRows("r1"));
    }
  }

  @Test
  void userSqlIsReadOnlyAndConfinedToTheDataset() throws Exception {
    twoLayerRun("r1", 5);
    Path outside = root.getParent().resolve("outside-" + System.nanoTime() + ".csv");
    Files.writeString(outside, "secret\n1\n");
    Path written = root.resolve("stolen.csv");
    try (ActivationLog log = ActivationLog.open(root.toString())) {
      assertEquals(1, log.query("SELECT count(*) FROM runs", 10).rows().size());
      for (String sql : List.of(
          "COPY (SELECT * FROM snapshots) TO '" + written + "'",
          "CREATE TABLE t AS SELECT 1",
          "INSERT INTO snapshots_all SELECT * FROM snapshots_all",
          "DROP VIEW snapshots",
          "ATTACH '" + root.resolve("x.db") + "'",
          "SET enable_external_access = true",
          "SELECT 1; COPY (SELECT 1) TO '" + written + "'",
          "SELECT * FROM read_csv('" + outside + "')",
          "SELECT * FROM read_text('/etc/hostname')")) {
        assertThrows(InvalidInputException.class, () -> log.query(sql, 10), sql);
      }
      // Still works afterwards.
      assertEquals(2 * 2 * 5 * 7, log.snapshotRows("r1"));
    } finally {
      Files.deleteIfExists(outside);
    }
    assertTrue(Files.notExists(written));
    assertTrue(Files.notExists(root.resolve("x.db")));
  }
}
