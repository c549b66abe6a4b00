package dev.activationmonkey.analytics.report;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
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

/**
 * Per-worker health: stragglers (from the snapshots' timestamps) and workers whose statistics disagree with the
 * others' at the same iterations. Each worker w of the synthetic logs runs on executor exec-w of host host-w.
 */
class WorkerHealthTest {
  @TempDir
  Path root;

  private Report report(Map<String, String> overrides) {
    try (ReportEngine engine = new DuckDbEngine(ActivationLog.open(root.toString()), true)) {
      return new ReportBuilder(engine, Thresholds.load(null, overrides)).build(root.toString(), List.of());
    }
  }

  private static List<Layer> healthy() {
    return List.of(Layer.healthy(0), Layer.healthy(1));
  }

  @Test
  void aSlowWorkerIsAStragglerNamedWithItsExecutorAndHost() {
    // Worker 3 takes 450 ms per iteration, the others 100: 4.5x, a warning (error from 5x).
    TestLogs.writeRun(root, "slow", 100, 0, healthy(), new long[] {100, 100, 100, 450});
    Report r = report(Map.of());
    assertEquals(1, r.alerts().size(), r.alerts().toString());
    Alert a = r.alerts().get(0);
    assertEquals("straggler", a.rule());
    assertEquals(Alert.Level.WARN, a.level());
    assertTrue(a.message().startsWith("worker 3 (executor exec-3 on host-3) takes 450.0 ms per iteration"), a.message());
    assertEquals(4.5, a.evidence().get("slowdown"), 1e-12);
    assertEquals(100.0, a.evidence().get("others_step_ms"), 1e-12);
    assertEquals(3.0, a.evidence().get("partition_id"));
    assertEquals(new Onset(0, 9, true), a.onset());
    assertEquals(Remedies.of("straggler"), a.remedies());
    // its own cause
    assertEquals(1, r.diagnoses().size());
    assertEquals(a, r.diagnoses().get(0).cause());
    String text = TextReport.render(r);
    assertTrue(text.contains("WARN  straggler") && text.contains("executor exec-3 on host-3")
        && text.contains("training.parameter-averaging.averaging-frequency"), text);
    Path html = root.resolve("report.html");
    try (ReportEngine engine = new DuckDbEngine(ActivationLog.open(root.toString()), true)) {
      HtmlReport.write(r, engine, html);
    }
    String page = assertDoesNotThrow(() -> java.nio.file.Files.readString(html));
    assertTrue(page.contains("straggler") && page.contains("executor exec-3 on host-3"), page);
    // the threshold decides
    assertEquals(List.of(), report(Map.of("straggler.slowdown.warn", "5", "straggler.slowdown.error", "6")).alerts());
    assertEquals(Alert.Level.ERROR, report(Map.of("straggler.slowdown.error", "4")).alerts().get(0).level());
  }

  @Test
  void workersThatDisagreeAreNamedWithTheirLayersAndOnset() {
    // Worker 1's layer 0 activations are zero 90% of the time (the others 50%) all run long; worker 2's layer 1
    // gradient is 10x the others' from iteration 40 on (60% of the run).
    TestLogs.writeRun(root, "shards", 100, 0, List.of(
        Layer.healthy(0).zeroFraction("CASE WHEN {w} = 1 THEN 0.9 ELSE 0.5 END"),
        Layer.healthy(1).gradientW("CASE WHEN {w} = 2 AND i >= 40 THEN 5.0 ELSE 0.5 END")),
        new long[] {100, 100, 100, 100});
    Report r = report(Map.of());
    List<Alert> alerts = r.alerts();
    assertEquals(List.of("worker-disagreement", "worker-disagreement"), alerts.stream().map(Alert::rule).toList(),
        alerts.toString());
    Alert zero = alerts.stream().filter(a -> a.evidence().get("partition_id") == 1.0).findFirst().orElseThrow();
    assertTrue(zero.message().startsWith("worker 1 (executor exec-1 on host-1) disagrees with the other workers"),
        zero.message());
    assertTrue(zero.message().contains("layer 0 activation zero fraction +0.40 from the median in 100.0% of 100 "
        + "iterations"), zero.message());
    assertEquals(1.0, zero.evidence().get("share"), 1e-12);
    assertEquals(0.4, zero.evidence().get("deviation"), 1e-9);
    assertEquals(new Onset(0, 9, true), zero.onset());
    Alert gradient = alerts.stream().filter(a -> a.evidence().get("partition_id") == 2.0).findFirst().orElseThrow();
    assertTrue(gradient.message().startsWith("worker 2 (executor exec-2 on host-2)"), gradient.message());
    assertTrue(gradient.message().contains("layer 1 gradient L2 norm 10.00x the median in 60.0% of 100 iterations"),
        gradient.message());
    assertEquals(10.0, gradient.evidence().get("deviation"), 1e-9);
    assertEquals(0.6, gradient.evidence().get("share"), 1e-12);
    assertEquals(1.0, gradient.evidence().get("layer_index"));
    assertEquals(new Onset(40, 49, true), gradient.onset());
    assertEquals(Remedies.of("worker-disagreement"), gradient.remedies());
    assertEquals(2, r.diagnoses().size());
    // "consistently": in 60% of the run is below a share of 0.7
    assertEquals(1, report(Map.of("worker.disagree.share", "0.7")).alerts().size());
  }

  @Test
  void healthyWorkersAreSilent() {
    // equal statistics, paces within 1.5x of each other
    TestLogs.writeRun(root, "healthy", 100, 0, healthy(), new long[] {100, 120, 150, 110});
    assertEquals(List.of(), report(Map.of()).alerts());
  }

  @Test
  void oneWorkerNeverFiresAndTwoCannotTellWhichOneDisagrees() {
    TestLogs.writeRun(root, "alone", 100, 0, List.of(Layer.healthy(0).zeroFraction("0.9 - (i % 2) * 0.8")),
        new long[] {1000});
    // two workers: one 10x the other's gradient, but no majority says which is off
    TestLogs.writeRun(root, "pair", 100, 0, List.of(Layer.healthy(0),
        Layer.healthy(1).gradientW("CASE WHEN {w} = 1 THEN 5.0 ELSE 0.5 END")), new long[] {100, 100});
    Report r = report(Map.of());
    assertEquals(List.of(), r.alerts().stream().filter(a -> a.rule().equals("straggler")
        || a.rule().equals("worker-disagreement")).toList());
  }
}
