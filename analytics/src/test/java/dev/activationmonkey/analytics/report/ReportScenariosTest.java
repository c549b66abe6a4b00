package dev.activationmonkey.analytics.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.TestLogs;
import dev.activationmonkey.analytics.TestLogs.Layer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Datasets with known answers: each expected number follows from the formulas the test wrote. */
class ReportScenariosTest {
  @TempDir
  Path root;

  private Report report(String... runs) {
    try (ReportEngine engine = new DuckDbEngine(ActivationLog.open(root.toString()), true)) {
      return new ReportBuilder(engine, Thresholds.defaults()).build(root.toString(), List.of(runs));
    }
  }

  private static List<Alert> alerts(Report r, String rule) {
    return r.alerts().stream().filter(a -> a.rule().equals(rule)).toList();
  }

  @Test
  void healthyNetworkRaisesNoAlert() {
    TestLogs.writeRun(root, "healthy", 100, 2, 0, List.of(Layer.healthy(0), Layer.healthy(1),
        Layer.healthy(2).activation("sigmoid").saturated("0.1")));
    Report r = report();
    assertEquals(List.of(), r.alerts());
    RunReport run = r.runs().get(0);
    assertEquals(3, run.layers().size());
    // log10(sqrt(0.005^2 + 0.001^2) / sqrt(5^2 + 1^2)) = log10(0.001) exactly
    assertEquals(-3.0, run.layers().get(0).updateRatioLog10(), 1e-9);
    assertEquals(1.0, run.gradientRatio(), 1e-12);
    assertEquals(2, run.workers());
  }

  @Test
  void layerWithThirtyPercentDeadNeurons() {
    // Neurons 0, 1, 2 of 10 never fire; the others fire for 30% of examples.
    TestLogs.writeRun(root, "dead", 100, 2, 0, List.of(Layer.healthy(0),
        Layer.healthy(1).firingRate("CASE WHEN k < 3 THEN 0.0 ELSE 0.3 END")));
    Report r = report();
    LayerReport layer = r.runs().get(0).layers().get(1);
    assertEquals(10, layer.neurons());
    assertEquals(3, layer.deadLastWindow());
    assertEquals(3, layer.deadWholeRun());
    assertEquals(0.3, layer.deadShare(), 1e-12);
    List<Alert> dead = alerts(r, "dead-neurons");
    assertEquals(1, dead.size());
    Alert a = dead.get(0);
    assertEquals(Alert.Level.WARN, a.level());
    assertEquals(1, a.layerIndex());
    assertEquals("dead", a.runId());
    assertEquals(90, a.fromIteration()); // last of 10 windows of 10 iterations
    assertEquals(99, a.toIteration());
    assertEquals(3.0, a.evidence().get("dead_last_window"));
    assertEquals(0.3, a.evidence().get("share"), 1e-12);
    assertEquals(1, r.alerts().size(), r.alerts().toString());
  }

  @Test
  void logOfActivationsOnlyIsReported() throws Exception {
    // logging.kinds: [activations] — no gradient, parameter or update rows at all.
    TestLogs.writeRun(root, "acts", 100, 2, 0, List.of(Layer.healthy(0),
        Layer.healthy(1).firingRate("CASE WHEN k < 3 THEN 0.0 ELSE 0.3 END")));
    for (String kind : List.of("gradient", "parameter", "update")) {
      try (java.util.stream.Stream<Path> walk = java.nio.file.Files.walk(root.resolve("snapshots/run_id=acts/kind=" + kind))) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          java.nio.file.Files.delete(p);
        }
      }
    }
    Report r = report();
    assertEquals(List.of("acts"), r.runs().stream().map(RunReport::runId).toList());
    LayerReport layer = r.runs().get(0).layers().get(1);
    assertEquals(3, layer.deadWholeRun());
    assertEquals(1, alerts(r, "dead-neurons").size(), r.alerts().toString());
  }

  @Test
  void neuronsThatDieLaterAreDeadInTheLastWindowButNotOverTheRun() {
    TestLogs.writeRun(root, "dying", 100, 1, 0, List.of(Layer.healthy(0),
        Layer.healthy(1).firingRate("CASE WHEN k < 6 AND i >= 50 THEN 0.0 ELSE 0.4 END")));
    LayerReport layer = report().runs().get(0).layers().get(1);
    assertEquals(6, layer.deadLastWindow());
    assertEquals(0, layer.deadWholeRun());
    assertEquals(Alert.Level.ERROR, alerts(report(), "dead-neurons").get(0).level()); // 60% >= 50%
  }

  @Test
  void vanishingGradientProfile() {
    // Gradient norms shrink 100x per layer towards the input: 1e-6, 1e-4, 1e-2, 1.
    TestLogs.writeRun(root, "vanishing", 100, 2, 0, List.of(
        Layer.healthy(0).activation("sigmoid").saturated("0.2").gradientW("1e-6"),
        Layer.healthy(1).activation("sigmoid").saturated("0.2").gradientW("1e-4"),
        Layer.healthy(2).activation("sigmoid").saturated("0.2").gradientW("1e-2"),
        Layer.healthy(3).activation("softmax").gradientW("1.0")));
    Report r = report();
    RunReport run = r.runs().get(0);
    assertEquals(1e-6, run.gradientRatio(), 1e-15);
    List<Alert> v = alerts(r, "vanishing-gradient");
    assertEquals(1, v.size());
    assertEquals(Alert.Level.ERROR, v.get(0).level());
    assertEquals(0, v.get(0).layerIndex());
    assertEquals(1e-6, v.get(0).evidence().get("ratio"), 1e-15);
    assertEquals(List.of(), alerts(r, "exploding-gradient"));
  }

  @Test
  void explodingGradientProfile() {
    TestLogs.writeRun(root, "exploding", 100, 2, 0, List.of(Layer.healthy(0),
        Layer.healthy(1).gradientW("0.1 * pow(10, i / 25.0)")));
    double first = 0;
    double last = 0;
    for (int i = 0; i < 10; i++) {
      first += 0.1 * Math.pow(10, i / 25.0) / 10;
      last += 0.1 * Math.pow(10, (90 + i) / 25.0) / 10;
    }
    double growth = last / first; // ~ 10^3.6, between the warn (1e2) and error (1e4) thresholds
    Report r = report();
    List<Alert> e = alerts(r, "exploding-gradient");
    assertEquals(1, e.size(), r.alerts().toString());
    assertEquals(Alert.Level.WARN, e.get(0).level());
    assertEquals(1, e.get(0).layerIndex());
    assertEquals(growth, e.get(0).evidence().get("growth"), growth * 1e-9);
    assertEquals(0, e.get(0).fromIteration());
    assertEquals(99, e.get(0).toIteration());
  }

  @Test
  void longRunsAreBinnedWithoutChangingWindowMeans() {
    // 1000 iterations: windows of 100, bins of 3 iterations (the last bin of a window holds one).
    TestLogs.writeRun(root, "long", 1000, 1, 0, List.of(Layer.healthy(0),
        Layer.healthy(1).gradientW("0.1 * pow(10, i / 250.0)").zeroFraction("(i % 7) / 10.0")));
    double first = 0;
    double last = 0;
    double zero = 0;
    for (int i = 0; i < 100; i++) {
      first += 0.1 * Math.pow(10, i / 250.0) * Math.sqrt(1 + 1 / 25.0) / 100;
      last += 0.1 * Math.pow(10, (900 + i) / 250.0) * Math.sqrt(1 + 1 / 25.0) / 100;
      zero += ((900 + i) % 7) / 10.0 / 100;
    }
    RunReport run = report().runs().get(0);
    LayerReport layer = run.layers().get(1);
    assertEquals(last, layer.gradientL2(), last * 1e-12);
    assertEquals(last / first, layer.gradientGrowth(), last / first * 1e-12);
    assertEquals(zero, layer.zeroFraction(), 1e-12);
    int binsPerWindow = (100 + 2) / 3; // ceil(100 / 3): bins of ceil(100 / BINS_PER_WINDOW) = 3 iterations
    assertEquals(3, (100 + ReportSql.BINS_PER_WINDOW - 1) / ReportSql.BINS_PER_WINDOW);
    assertEquals(2 * 10 * binsPerWindow, run.series().size(), "bins, not iterations");
    LayerIterationRow window9 = run.series().get(9 * binsPerWindow); // layer 0's rows come first
    assertEquals(List.of(0, 900L, 902L), List.of(window9.layerIndex(), window9.iteration(), window9.lastIteration()));
    LayerIterationRow lastBin = run.series().get(10 * binsPerWindow - 1);
    assertEquals(List.of(999L, 999L, 1L), List.of(lastBin.iteration(), lastBin.lastIteration(), lastBin.zero().count()));
  }

  @Test
  void saturatedSigmoids() {
    TestLogs.writeRun(root, "saturated", 100, 2, 0, List.of(Layer.healthy(0).activation("sigmoid").saturated("0.9"),
        Layer.healthy(1).activation("relu").saturated("0.9")));
    Report r = report();
    List<Alert> s = alerts(r, "saturation");
    assertEquals(1, s.size(), "relu has no asymptotes: " + s);
    assertEquals(Alert.Level.ERROR, s.get(0).level());
    assertEquals(0, s.get(0).layerIndex());
    assertEquals(0.9, s.get(0).evidence().get("saturated_fraction"), 1e-12);
  }

  @Test
  void nanGradientsAreAnErrorFromTheirFirstIteration() {
    TestLogs.writeRun(root, "nan", 100, 2, 0, List.of(Layer.healthy(0),
        Layer.healthy(1).nanCount("CASE WHEN i >= 60 THEN 3 ELSE 0 END")));
    List<Alert> n = alerts(report(), "non-finite");
    assertEquals(1, n.size());
    assertEquals(60, n.get(0).fromIteration());
    assertEquals(40 * 3 * 2.0, n.get(0).evidence().get("gradient_non_finite")); // 40 iterations x 3 x 2 workers
  }

  @Test
  void hugeUpdatesAreFlagged() {
    TestLogs.writeRun(root, "lr", 100, 1, 0, List.of(Layer.healthy(0).updateW("0.5")));
    List<Alert> u = alerts(report(), "update-ratio");
    assertEquals(1, u.size());
    assertEquals(-1.0, u.get(0).evidence().get("update_ratio_log10"), 1e-9);
    assertEquals(Alert.Level.WARN, u.get(0).level());
  }

  @Test
  void retriedTaskCountsOnceWithTheLatestAttemptsNumbers() {
    TestLogs.writeRun(root, "retried", 100, 2, 0, List.of(Layer.healthy(0), Layer.healthy(1)));
    // Worker 0 was retried: attempt 1 re-sent layer 1 with 3 dead neurons; attempt 0's numbers must not count.
    TestLogs.writeRun(root, "retried", 100, 1, 1, List.of(Layer.healthy(1)
        .firingRate("CASE WHEN k < 3 THEN 0.0 ELSE 0.3 END").zeroFraction("0.7")));
    TestLogs.writeRun(root, "clean", 100, 2, 0, List.of(Layer.healthy(0), Layer.healthy(1)));
    try (DuckDbEngine engine = new DuckDbEngine(ActivationLog.open(root.toString()), true)) {
      Report r = new ReportBuilder(engine, Thresholds.defaults()).build("x", List.of());
      assertEquals(java.util.Set.of("retried"), engine.runsWithDuplicates());
      RunReport retried = r.runs().stream().filter(x -> x.runId().equals("retried")).findFirst().orElseThrow();
      LayerReport layer = retried.layers().get(1);
      // Worker 0's layer 1 has 3 dead neurons (attempt 1), but worker 1's fire: none is dead across workers.
      assertEquals(0, layer.deadLastWindow());
      assertEquals((0.7 + 0.5) / 2, layer.zeroFraction(), 1e-12);
      assertEquals(2, retried.workers());
      assertTrue(retried.series().stream().allMatch(row -> row.workers() == 2));
    }
  }

  @Test
  void thresholdsChangeTheVerdict() {
    TestLogs.writeRun(root, "dead", 100, 1, 0, List.of(Layer.healthy(0),
        Layer.healthy(1).firingRate("CASE WHEN k < 3 THEN 0.0 ELSE 0.3 END")));
    try (ReportEngine engine = new DuckDbEngine(ActivationLog.open(root.toString()), true)) {
      Report r = new ReportBuilder(engine, Thresholds.load(null, Map.of("dead.share.warn", "0.35")))
          .build("x", List.of());
      assertEquals(List.of(), r.alerts());
    }
  }
}
