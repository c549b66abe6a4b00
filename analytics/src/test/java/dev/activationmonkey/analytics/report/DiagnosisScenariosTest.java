package dev.activationmonkey.analytics.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.TestLogs;
import dev.activationmonkey.analytics.TestLogs.Layer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Onsets, causal grouping and remedies on logs with known answers (100 iterations: ten windows of ten).
 */
class DiagnosisScenariosTest {
  @TempDir
  Path root;

  private Report report() {
    try (ReportEngine engine = new DuckDbEngine(ActivationLog.open(root.toString()), true)) {
      return new ReportBuilder(engine, Thresholds.defaults()).build(root.toString(), List.of());
    }
  }

  private static Alert only(Report r, String rule) {
    List<Alert> found = r.alerts().stream().filter(a -> a.rule().equals(rule)).toList();
    assertEquals(1, found.size(), r.alerts().toString());
    return found.get(0);
  }

  private static String shape(Diagnosis d) {
    return d.cause().rule() + "@" + d.cause().layerIndex() + " <- "
        + d.consequences().stream().map(a -> a.rule() + "@" + a.layerIndex()).toList();
  }

  @Test
  void deathHasItsOnsetWindowAndHoldsToTheEnd() {
    // Units 0-5 stop firing at iteration 35: window 30-39 still saw them fire, 40-49 is the first without.
    TestLogs.writeRun(root, "dying", 100, 1, 0, List.of(Layer.healthy(0),
        Layer.healthy(1).firingRate("CASE WHEN k < 6 AND i >= 35 THEN 0.0 ELSE 0.4 END")));
    Alert dead = only(report(), "dead-neurons");
    assertEquals(new Onset(40, 49, true), dead.onset());
    assertEquals("from iteration 40 (window 40-49) to the end", dead.onset().describe());
    assertFalse(dead.remedies().isEmpty());
  }

  @Test
  void aSicknessThatCameAndWentSaysSo() {
    // Saturated in iterations 20-39 and again in the last window only.
    TestLogs.writeRun(root, "flaky", 100, 1, 0, List.of(Layer.healthy(0).activation("tanh")
        .saturated("CASE WHEN (i >= 20 AND i < 40) OR i >= 90 THEN 0.9 ELSE 0.1 END")));
    Alert s = only(report(), "saturation");
    assertEquals(new Onset(20, 29, false), s.onset());
  }

  @Test
  void gradientsThatExplodeAndTurnNanAreDiagnosedAsExplodingWithTheNanAsConsequence() {
    // Layer 1's gradient grows 10x every 10 iterations, then is NaN from iteration 60 (counted); layer 0's
    // gradient turns NaN a step later.
    TestLogs.writeRun(root, "boom", 100, 2, 0, List.of(
        Layer.healthy(0).nanCount("CASE WHEN i >= 61 THEN 1 ELSE 0 END"),
        Layer.healthy(1).gradientW("CASE WHEN i >= 60 THEN CAST('NaN' AS DOUBLE) ELSE 0.1 * pow(10, i / 10.0) END")
            .nanCount("CASE WHEN i >= 60 THEN 3 ELSE 0 END")));
    Report r = report();
    Alert exploding = only(r, "exploding-gradient");
    assertEquals(1, exploding.layerIndex());
    assertEquals(Alert.Level.ERROR, exploding.level()); // 1e5 >= 1e4
    // Mean over iterations 50-59 over the mean over 0-9: 10^5 exactly (b's share cancels).
    assertEquals(1e5, exploding.evidence().get("growth"), 1e5 * 1e-9);
    assertEquals(60.0, exploding.evidence().get("first_non_finite_iteration"));
    assertEquals(List.of(0L, 59L), List.of(exploding.fromIteration(), exploding.toIteration()));
    // 10^k over the first window in window k: 100x first in window 2; NaN windows say nothing against it.
    assertEquals(new Onset(20, 29, true), exploding.onset());
    assertTrue(exploding.remedies().stream().anyMatch(m -> ("network.gradient-normalization.mode: clip-l2-per-layer, "
        + "network.gradient-normalization.threshold: 1.0").equals(m.specSetting())), exploding.remedies().toString());

    List<Diagnosis> d = r.runs().get(0).diagnoses();
    assertEquals(List.of("exploding-gradient@1 <- [non-finite@0, non-finite@1]"), d.stream().map(DiagnosisScenariosTest::shape).toList());
    assertEquals(Alert.Level.ERROR, d.get(0).level());
    Alert nan1 = d.get(0).consequences().get(1);
    assertEquals(new Onset(60, 60, true), nan1.onset());
    assertEquals(3, r.alerts().size(), "the flat list keeps every alert");

    String text = TextReport.render(r);
    assertTrue(text.contains("ERROR exploding-gradient run boom layer 1 (dense1) iterations 0-59: gradient L2 norm grew "
        + "1.00e+05-fold from the first window to the 10 iterations before the first NaN/Inf (iteration 60"), text);
    assertTrue(text.contains("          onset: from iteration 20 (window 20-29) to the end\n"), text);
    assertTrue(text.contains("          try: clip the gradient by its L2 norm: network.gradient-normalization.mode: "
        + "clip-l2-per-layer"), text);
    assertTrue(text.contains("          consequences:\n            ERROR non-finite         layer 0 (dense0) "
        + "iterations 61-99: NaN/Inf values from iteration 61"), text);
    assertTrue(text.contains("1 run(s), 1 error(s), 0 warning(s) (3 alerts grouped by cause; --all-alerts lists them"),
        text);
    String flat = TextReport.render(r, true);
    assertTrue(flat.contains("    ERROR non-finite         run boom layer 1 (dense1) iterations 60-99"), flat);
    assertTrue(flat.contains("1 run(s), 3 error(s), 0 warning(s)\n"), flat);
  }

  @Test
  void unitsWithNanActivationsAreNonFiniteNotDead() {
    // From iteration 60 the layer's activations are NaN, so no unit "fires": that is not death.
    TestLogs.writeRun(root, "nanacts", 100, 1, 0, List.of(Layer.healthy(0),
        Layer.healthy(1).firingRate("CASE WHEN i >= 60 THEN 0.0 ELSE 0.4 END")
            .activationNanCount("CASE WHEN i >= 60 THEN 100 ELSE 0 END")));
    Report r = report();
    LayerReport layer = r.runs().get(0).layers().get(1);
    assertEquals(0, layer.deadLastWindow());
    assertEquals(0, layer.deadWholeRun());
    assertEquals(List.of("non-finite"), r.alerts().stream().map(Alert::rule).toList());
    assertEquals(40 * 100.0, only(r, "non-finite").evidence().get("activation_non_finite"));
  }

  @Test
  void aLayerWithoutParametersInheritsItsInputLayersDeadUnits() throws IOException {
    // Layer 1 (dense) has 3 dead units of 10; layer 2 (pooling: no gradients, parameters or updates) shows them too.
    String threeDead = "CASE WHEN k < 3 THEN 0.0 ELSE 0.3 END";
    TestLogs.writeRun(root, "pool", 100, 1, 0, List.of(Layer.healthy(0), Layer.healthy(1).firingRate(threeDead),
        Layer.healthy(2).firingRate(threeDead), Layer.healthy(3)));
    deleteParameters("pool", 2);
    Report r = report();
    assertEquals(2, r.alerts().size(), r.alerts().toString());
    assertEquals(List.of("dead-neurons@1 <- [dead-neurons@2]"),
        r.runs().get(0).diagnoses().stream().map(DiagnosisScenariosTest::shape).toList());
  }

  @Test
  void zeroGradientsOfDeadUnitsAreReportedUnderDeadNeurons() {
    // Layer 0: 6 of 10 units dead, a gradient 1e-7 of the last layer's, updates that almost stopped.
    TestLogs.writeRun(root, "deadgrad", 100, 1, 0, List.of(
        Layer.healthy(0).firingRate("CASE WHEN k < 6 THEN 0.0 ELSE 0.3 END").gradientW("1e-7").updateW("1e-8"),
        Layer.healthy(1).gradientW("1.0")));
    Report r = report();
    assertEquals(List.of("dead-neurons", "update-ratio", "vanishing-gradient"),
        r.alerts().stream().map(Alert::rule).sorted().toList());
    assertEquals(List.of("dead-neurons@0 <- [update-ratio@0, vanishing-gradient@0]"),
        r.runs().get(0).diagnoses().stream().map(d -> d.cause().rule() + "@" + d.cause().layerIndex() + " <- "
            + d.consequences().stream().map(a -> a.rule() + "@" + a.layerIndex()).sorted().toList()).toList());
    assertEquals(Alert.Level.ERROR, r.runs().get(0).diagnoses().get(0).level());
    assertNotNull(only(r, "vanishing-gradient").onset());
  }

  @Test
  void healthyNetworkHasNoDiagnosisAndWholeRunRulesMayHaveNoOnset() {
    TestLogs.writeRun(root, "healthy", 100, 2, 0, List.of(Layer.healthy(0), Layer.healthy(1)));
    Report r = report();
    assertEquals(List.of(), r.diagnoses());
    assertTrue(TextReport.render(r).contains("  no alerts\n"));
    // lazy-neurons judges the run's mean: a window-by-window view can miss it.
    assertNull(ReportBuilder.onset(Windows.of("x", 0, 99, 10), new double[] {0.1, Double.NaN, 0.2}, v -> v > 0.5));
  }

  @Test
  void everyRemedyNamesOnlyJobSpecKeysTheTrainerHas() throws IOException {
    String spec = Files.readString(Path.of("..", "docs", "trainer.md"));
    Pattern dotted = Pattern.compile("\\b[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)+");
    for (List<Remedy> remedies : Remedies.byRule().values()) {
      for (Remedy remedy : remedies) {
        if (remedy.specSetting() == null) {
          continue;
        }
        Matcher m = dotted.matcher(remedy.specSetting());
        while (m.find()) {
          String[] parts = m.group().split("\\.");
          assertTrue(spec.contains(parts[parts.length - 1] + ":"), m.group() + " in " + remedy);
        }
      }
    }
    for (String rule : List.of("dead-neurons", "lazy-neurons", "saturation", "vanishing-gradient",
        "exploding-gradient", "non-finite")) {
      assertFalse(Remedies.of(rule).isEmpty(), rule);
    }
  }

  /** Test-set evaluations after each epoch (20 iterations each), as the driver logs them. */
  private void writeEvaluations(String run, double... losses) throws Exception {
    StringBuilder values = new StringBuilder();
    for (int e = 0; e < losses.length; e++) {
      values.append(e == 0 ? "" : ", ").append("(").append(e).append(", ").append(e * 20 + 19).append(", ")
          .append(losses[e]).append(", ").append(0.9 - losses[e] / 10).append(")");
    }
    try (dev.activationmonkey.analytics.fixtures.SnapshotFileWriter w =
        new dev.activationmonkey.analytics.fixtures.SnapshotFileWriter(root)) {
      w.writeTable("evaluations/run_id=" + run + "/part-0.parquet", "SELECT CAST(epoch AS INTEGER) AS epoch, "
          + "CAST(iteration AS BIGINT) AS iteration, CAST(loss AS DOUBLE) AS loss, CAST(accuracy AS DOUBLE) AS accuracy "
          + "FROM (VALUES " + values + ") t(epoch, iteration, loss, accuracy)");
    }
  }

  @Test
  void testLossRisingForTwoEpochsIsOverfitting() throws Exception {
    TestLogs.writeRun(root, "over", 100, 1, 0, List.of(Layer.healthy(0), Layer.healthy(1)));
    writeEvaluations("over", 0.5, 0.4, 0.35, 0.38, 0.42);
    Report r = report();
    Alert a = only(r, "overfitting");
    assertEquals(Alert.Level.WARN, a.level());
    assertNull(a.layerIndex());
    assertEquals(List.of(59L, 99L), List.of(a.fromIteration(), a.toIteration())); // best epoch 2 to the last
    assertEquals(new Onset(79, 79, true), a.onset());
    assertEquals(2.0, a.evidence().get("epochs_rising"));
    assertEquals(0.35, a.evidence().get("best_test_loss"), 1e-12);
    assertTrue(a.remedies().contains(Remedies.L2) && a.remedies().contains(Remedies.DROPOUT));
    assertEquals(1, r.alerts().size(), r.alerts().toString());
    assertTrue(TextReport.render(r).contains("WARN  overfitting        run over iterations 59-99: test loss rose in each "
        + "of the last 2 epochs, from 0.350 after epoch 2 to 0.420 after epoch 4"), TextReport.render(r));
  }

  @Test
  void flatTestLossWithHealthyUpdatesIsLearningStalled() throws Exception {
    TestLogs.writeRun(root, "stalled", 100, 1, 0, List.of(Layer.healthy(0), Layer.healthy(1)));
    writeEvaluations("stalled", 0.9, 0.7, 0.7, 0.701, 0.7005);
    Alert a = only(report(), "learning-stalled");
    assertEquals(0.001 / ((0.7 + 0.701 + 0.7005) / 3), a.evidence().get("relative_change"), 1e-12);
    assertEquals(List.of(59L, 99L), List.of(a.fromIteration(), a.toIteration()));
  }

  @Test
  void fallingTestLossRaisesNeitherEvaluationRule() throws Exception {
    TestLogs.writeRun(root, "fine", 100, 1, 0, List.of(Layer.healthy(0), Layer.healthy(1)));
    writeEvaluations("fine", 0.9, 0.6, 0.45, 0.4, 0.37);
    assertEquals(List.of(), report().alerts());
  }

  private void deleteParameters(String run, int layer) throws IOException {
    for (String kind : List.of("gradient", "parameter", "update")) {
      try (Stream<Path> files = Files.list(root.resolve("snapshots/run_id=" + run + "/kind=" + kind))) {
        for (Path f : files.filter(f -> f.getFileName().toString().contains("+" + layer * 10_000 + "+")).toList()) {
          Files.delete(f);
        }
      }
    }
  }
}
