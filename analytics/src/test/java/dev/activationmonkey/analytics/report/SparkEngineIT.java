package dev.activationmonkey.analytics.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.TestLogs;
import dev.activationmonkey.analytics.TestLogs.Layer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark engine gives the DuckDB engine's numbers and alerts on the same data (Spark in local mode). */
class SparkEngineIT {
  @TempDir
  Path root;

  @Test
  void sparkAndDuckDbAgreeOnEveryNumberAndAlert() throws Exception {
    TestLogs.writeRun(root, "dead", 60, 2, 0, List.of(Layer.healthy(0),
        Layer.healthy(1).firingRate("CASE WHEN k < 3 THEN 0.0 ELSE 0.3 + k / 100.0 END")));
    TestLogs.writeRun(root, "dead", 60, 1, 1, List.of(Layer.healthy(1).zeroFraction("0.8"))); // a retried task
    TestLogs.writeRun(root, "exploding", 60, 2, 0, List.of(Layer.healthy(0).gradientW("0.1 * pow(10, i / 15.0)"),
        Layer.healthy(1).activation("sigmoid").saturated("0.6 + i / 1000.0").nanCount("CASE WHEN i > 40 THEN 1 ELSE 0 END")));
    TestLogs.writeRun(root, "42", 60, 2, 0, List.of(Layer.healthy(0), Layer.healthy(1).updateW("0.2")));
    // Per-worker health: worker 3 is 6x slower than the others; worker 1's layer 0 is zero far more often and
    // worker 2's layer 1 gradient 10x the others' from iteration 20 on.
    TestLogs.writeRun(root, "workers", 60, 0, List.of(
        Layer.healthy(0).zeroFraction("CASE WHEN {w} = 1 THEN 0.9 ELSE 0.5 END"),
        Layer.healthy(1).gradientW("CASE WHEN {w} = 2 AND i >= 20 THEN 5.0 ELSE 0.5 END")),
        new long[] {100, 110, 100, 600});
    // Test loss rising for the last two epochs: overfitting, read from the evaluations by both engines.
    try (dev.activationmonkey.analytics.fixtures.SnapshotFileWriter w =
        new dev.activationmonkey.analytics.fixtures.SnapshotFileWriter(root)) {
      w.writeTable("evaluations/run_id=dead/part-0.parquet", "SELECT CAST(e AS INTEGER) AS epoch, "
          + "CAST(e * 15 + 14 AS BIGINT) AS iteration, CAST([0.5, 0.4, 0.45, 0.5][e + 1] AS DOUBLE) AS loss, "
          + "CAST(0.8 AS DOUBLE) AS accuracy FROM range(4) t(e)");
    }
    // Something broken among good files: both engines leave it out and name it.
    Path bad = root.resolve("snapshots/run_id=42/kind=update/monkey.snapshots+5+0+1.parquet");
    Files.writeString(bad, "not parquet");

    Report duck;
    try (ReportEngine engine = new DuckDbEngine(ActivationLog.open(root.toString()), true)) {
      duck = new ReportBuilder(engine, Thresholds.defaults()).build("x", List.of());
    }
    Report spark;
    try (SparkEngine engine = SparkEngine.open(root.toString(), "local[2]")) {
      spark = new ReportBuilder(engine, Thresholds.defaults()).build("x", List.of());
      assertEquals(java.util.Set.of("dead"), engine.runsWithDuplicates());
      List<NeuronIterationRow> neurons = engine.neuronIterations("dead", 1);
      assertEquals(60 * 10, neurons.size());
    }
    assertEquals("spark", spark.engine());
    assertEquals(List.of(bad.toString()), List.copyOf(spark.badFiles().keySet()));
    assertEquals(duck.badFiles().keySet(), spark.badFiles().keySet());
    assertEquals(List.of("42", "dead", "exploding", "workers"), spark.runs().stream().map(RunReport::runId).toList());
    assertEquals(duck.runs().size(), spark.runs().size());
    assertFalse(duck.alerts().isEmpty());
    for (int i = 0; i < duck.runs().size(); i++) {
      RunReport d = duck.runs().get(i);
      RunReport s = spark.runs().get(i);
      assertEquals(d.windows(), s.windows());
      assertEquals(d.workers(), s.workers());
      close(d.gradientRatio(), s.gradientRatio(), "gradient ratio " + d.runId());
      assertEquals(d.series().size(), s.series().size());
      for (int j = 0; j < d.series().size(); j++) {
        LayerIterationRow a = d.series().get(j);
        LayerIterationRow b = s.series().get(j);
        assertEquals(List.of(a.runId(), a.layerIndex(), a.layerName(), a.layerType(), String.valueOf(a.activationFunction()),
            a.epoch(), a.iteration(), a.lastIteration(), a.workers(), a.firstNonFiniteIteration(), a.activationNonFinite(), a.gradientNonFinite(), a.parameterNonFinite()),
            List.of(b.runId(), b.layerIndex(), b.layerName(), b.layerType(), String.valueOf(b.activationFunction()),
            b.epoch(), b.iteration(), b.lastIteration(), b.workers(), b.firstNonFiniteIteration(), b.activationNonFinite(), b.gradientNonFinite(), b.parameterNonFinite()));
        close(a.zeroFraction(), b.zeroFraction(), "zero " + a);
        close(a.saturatedFraction(), b.saturatedFraction(), "saturated " + a);
        close(a.gradientL2(), b.gradientL2(), "gradient " + a);
        close(a.updateRatioLog10(), b.updateRatioLog10(), "update ratio " + a);
        assertEquals(List.of(a.zero().count(), a.saturated().count(), a.gradient().count(), a.updateRatio().count()),
            List.of(b.zero().count(), b.saturated().count(), b.gradient().count(), b.updateRatio().count()));
      }
      assertEquals(d.layers().size(), s.layers().size());
      for (int j = 0; j < d.layers().size(); j++) {
        LayerReport a = d.layers().get(j);
        LayerReport b = s.layers().get(j);
        assertEquals(List.of(a.neurons(), a.deadLastWindow(), a.deadWholeRun(), a.lazy(), a.firstNonFiniteIteration()),
            List.of(b.neurons(), b.deadLastWindow(), b.deadWholeRun(), b.lazy(), b.firstNonFiniteIteration()));
        close(a.gradientGrowth(), b.gradientGrowth(), "growth");
        close(a.saturatedFraction(), b.saturatedFraction(), "saturation");
      }
      assertEquals(d.alerts().size(), s.alerts().size(), d.alerts() + " vs " + s.alerts());
      for (int j = 0; j < d.alerts().size(); j++) {
        Alert a = d.alerts().get(j);
        Alert b = s.alerts().get(j);
        assertEquals(List.of(a.level(), a.rule(), String.valueOf(a.layerIndex()), a.fromIteration(), a.toIteration(),
            String.valueOf(a.onset()), a.remedies()),
            List.of(b.level(), b.rule(), String.valueOf(b.layerIndex()), b.fromIteration(), b.toIteration(),
            String.valueOf(b.onset()), b.remedies()));
        for (Map.Entry<String, Double> e : a.evidence().entrySet()) {
          close(e.getValue(), b.evidence().get(e.getKey()), a.rule() + " " + e.getKey());
        }
      }
    }
    // The same alerts grouped the same way: NaN under the exploding gradient that came before it.
    assertEquals(duck.diagnoses().stream().map(SparkEngineIT::shape).toList(),
        spark.diagnoses().stream().map(SparkEngineIT::shape).toList());
    assertTrue(spark.diagnoses().stream().anyMatch(d -> d.cause().rule().equals("exploding-gradient")
        && d.consequences().stream().anyMatch(a -> a.rule().equals("non-finite"))), spark.diagnoses().toString());
    assertTrue(spark.alerts().stream().anyMatch(a -> a.rule().equals("overfitting") && a.runId().equals("dead")));
    // The retried task's numbers won in both engines.
    assertTrue(spark.runs().get(1).series().stream().filter(r -> r.layerIndex() == 1)
        .allMatch(r -> Math.abs(r.zeroFraction() - (0.8 + 0.5) / 2) < 1e-12),
        () -> spark.runs().get(1).series().stream().filter(r -> r.layerIndex() == 1).limit(3).toList().toString());
    // Attempt 1 of worker 0 fired every neuron of layer 1, so no neuron is dead across workers any more.
    assertTrue(spark.alerts().stream().noneMatch(a -> a.rule().equals("dead-neurons")));
    assertTrue(spark.alerts().stream().anyMatch(a -> a.rule().equals("saturation")));
    assertTrue(spark.alerts().stream().anyMatch(a -> a.rule().equals("update-ratio") && a.runId().equals("42")));
    assertTrue(spark.alerts().stream().anyMatch(a -> a.rule().equals("non-finite")));
    // Per-worker health, the same in both engines (and silent in the runs of two equal workers).
    List<String> workerAlerts = spark.alerts().stream()
        .filter(a -> a.rule().equals("straggler") || a.rule().equals("worker-disagreement"))
        .map(a -> a.level() + " " + a.runId() + " " + a.rule() + " " + a.message().substring(0, a.message().indexOf(')') + 1))
        .sorted().toList();
    assertEquals(List.of("ERROR workers straggler worker 3 (executor exec-3 on host-3)",
        "WARN workers worker-disagreement worker 1 (executor exec-1 on host-1)",
        "WARN workers worker-disagreement worker 2 (executor exec-2 on host-2)"), workerAlerts);
    assertEquals(duck.alerts().stream().map(Alert::message).toList(), spark.alerts().stream().map(Alert::message).toList());
  }

  @Test
  void readsThroughHadoopFileSystemUrisAndNamesAMissingConnector() throws Exception {
    TestLogs.writeRun(root, "r1", 30, 2, 0, List.of(Layer.healthy(0), Layer.healthy(1)));
    Path bad = root.resolve("snapshots/run_id=r1/kind=gradient/monkey.snapshots+3+0+1.parquet");
    Files.writeString(bad, "PAR1 truncated");
    Files.createDirectories(root.resolve("snapshots/run_id=r1/kind=gradient/_collector"));
    Files.writeString(root.resolve("snapshots/run_id=r1/kind=gradient/_collector/tmp.parquet"), "in progress");
    Report viaUri;
    try (SparkEngine engine = SparkEngine.open(root.toUri().toString(), "local[1]")) {
      viaUri = new ReportBuilder(engine, Thresholds.defaults()).build("x", List.of());
    }
    Report viaDuckDb;
    try (ReportEngine engine = new DuckDbEngine(ActivationLog.open(root.toString()), true)) {
      viaDuckDb = new ReportBuilder(engine, Thresholds.defaults()).build("x", List.of());
    }
    // The file: URI is listed through Hadoop's FileSystem, the in-progress entry skipped, the broken file named.
    assertEquals(List.of(bad.toString()), List.copyOf(viaUri.badFiles().keySet()));
    assertEquals(List.of("r1"), viaUri.runs().stream().map(RunReport::runId).toList());
    assertEquals(viaDuckDb.runs().get(0).series().size(), viaUri.runs().get(0).series().size());

    dev.activationmonkey.errors.InvalidInputException noConnector = org.junit.jupiter.api.Assertions.assertThrows(
        dev.activationmonkey.errors.InvalidInputException.class, () -> SparkEngine.open("nosuchfs://bucket/monkey", "local[1]"));
    assertTrue(noConnector.getMessage().contains("nosuchfs://") && noConnector.getMessage().contains("connector"),
        noConnector.getMessage());
    dev.activationmonkey.errors.InvalidInputException missing = org.junit.jupiter.api.Assertions.assertThrows(
        dev.activationmonkey.errors.InvalidInputException.class,
        () -> SparkEngine.open(root.resolve("nope").toUri().toString(), "local[1]"));
    assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
  }

  private static String shape(Diagnosis d) {
    return d.level() + " " + d.cause().runId() + " " + d.cause().rule() + "@" + d.cause().layerIndex() + " <- "
        + d.consequences().stream().map(a -> a.rule() + "@" + a.layerIndex()).toList();
  }

  private static void close(double a, double b, String what) {
    if (Double.isNaN(a) || Double.isNaN(b)) {
      assertEquals(Double.isNaN(a), Double.isNaN(b), what);
      return;
    }
    assertEquals(a, b, Math.max(1e-12, Math.abs(a) * 1e-9), what);
  }
}
