package dev.activationmonkey.analytics.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.analytics.TestLogs;
import dev.activationmonkey.analytics.TestLogs.Layer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportCommandTest {
  @TempDir
  Path root;

  private void deadRun() {
    TestLogs.writeRun(root, "dead", 100, 1, 0, List.of(Layer.healthy(0),
        Layer.healthy(1).firingRate("CASE WHEN k < 3 THEN 0.0 ELSE 0.3 END")));
  }

  @Test
  void failOnSetsExitCodeThreeOnlyAtOrAboveTheLevel() {
    deadRun();
    CliRun warn = CliRun.of(new ReportCommand(), "--data", root.toString(), "--fail-on", "warn");
    assertEquals(3, warn.exitCode(), warn.err());
    assertTrue(warn.out().contains("dead-neurons"), warn.out());
    assertTrue(warn.out().contains("run dead layer 1 (dense1) iterations 90-99"), warn.out());
    assertTrue(warn.out().contains("3 of 10 units (30.0%)"), warn.out());
    assertEquals(0, CliRun.of(new ReportCommand(), "--data", root.toString(), "--fail-on", "error").exitCode());
    assertEquals(0, CliRun.of(new ReportCommand(), "--data", root.toString()).exitCode());
    CliRun relaxed = CliRun.of(new ReportCommand(), "--data", root.toString(), "--fail-on", "warn",
        "--threshold", "dead.share.warn=0.4");
    assertEquals(0, relaxed.exitCode(), relaxed.out());
  }

  @Test
  void badInputExitsTwoWithAClearMessage() throws Exception {
    CliRun missing = CliRun.of(new ReportCommand(), "--data", root.resolve("missing").toString());
    assertEquals(2, missing.exitCode());
    assertTrue(missing.err().contains(root.resolve("missing").toString()), missing.err());
    assertFalse(missing.err().contains("\tat "), "no stack trace: " + missing.err());

    Files.createDirectories(root.resolve("empty/snapshots"));
    CliRun empty = CliRun.of(new ReportCommand(), "--data", root.resolve("empty").toString());
    assertEquals(2, empty.exitCode());
    assertTrue(empty.err().contains("empty"), empty.err());

    deadRun();
    CliRun unknown = CliRun.of(new ReportCommand(), "--data", root.toString(), "--run", "nope");
    assertEquals(2, unknown.exitCode());
    assertTrue(unknown.err().contains("'nope'") && unknown.err().contains("dead"), unknown.err());

    CliRun badThreshold = CliRun.of(new ReportCommand(), "--data", root.toString(), "--threshold", "dead.share=2");
    assertEquals(2, badThreshold.exitCode());
    assertTrue(badThreshold.err().contains("dead.share"), badThreshold.err());
  }

  @Test
  void corruptFileAmongGoodOnesIsNamedAndTheRestReported() throws Exception {
    deadRun();
    Path dir = root.resolve("snapshots/run_id=dead/kind=activation");
    Path bad = dir.resolve("monkey.snapshots+7+0+10.parquet");
    Files.write(bad, "PAR1 this is not parquet at all PAR1".getBytes());
    CliRun run = CliRun.of(new ReportCommand(), "--data", root.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("Unreadable files left out"), run.out());
    assertTrue(run.out().contains(bad.toString()), run.out());
    assertTrue(run.out().contains("dead-neurons"), run.out());
  }

  @Test
  void comparesRunsSideBySideAndWritesASelfContainedHtmlReport() throws Exception {
    deadRun();
    TestLogs.writeRun(root, "sigmoid", 100, 1, 0, List.of(Layer.healthy(0).activation("sigmoid").saturated("0.9"),
        Layer.healthy(1)));
    Path html = root.resolve("out/report.html");
    CliRun run = CliRun.of(new ReportCommand(), "--data", root.toString(), "--html", html.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("Runs side by side"), run.out());
    String page = Files.readString(html);
    assertTrue(page.contains("<svg"), "line charts");
    assertTrue(page.contains("data:image/png;base64,"), "heatmaps inline");
    assertTrue(page.contains("Firing rate per neuron") || page.contains("firing rates layer"), "neuron heatmaps");
    assertTrue(page.contains("saturation") && page.contains("dead-neurons"));
    assertFalse(page.matches("(?s).*(src|href)\\s*=\\s*['\"]?https?:.*"), "nothing fetched from the network");
  }

  @Test
  void failOnRejectsUnknownLevels() {
    deadRun();
    CliRun run = CliRun.of(new ReportCommand(), "--data", root.toString(), "--fail-on", "info");
    assertEquals(2, run.exitCode());
    assertTrue(run.err().contains("--fail-on"), run.err());
  }
}
