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
  void groupsConsequencesUnderTheirCauseAndListsThemFlatOnRequest() {
    // NaN gradients in layer 1 from iteration 60, in layer 0 a step later: one cause, one consequence.
    TestLogs.writeRun(root, "nan", 100, 1, 0, List.of(Layer.healthy(0).nanCount("CASE WHEN i >= 61 THEN 1 ELSE 0 END"),
        Layer.healthy(1).nanCount("CASE WHEN i >= 60 THEN 3 ELSE 0 END")));
    CliRun grouped = CliRun.of(new ReportCommand(), "--data", root.toString(), "--fail-on", "error");
    assertEquals(3, grouped.exitCode(), grouped.err());
    assertTrue(grouped.out().contains("    ERROR non-finite         run nan layer 1 (dense1) iterations 60-99: "), grouped.out());
    assertTrue(grouped.out().contains("          onset: from iteration 60 to the end\n"), grouped.out());
    assertTrue(grouped.out().contains("          try: lower the learning rate (e.g. 3-10x): network.updater.learning-rate\n"),
        grouped.out());
    assertTrue(grouped.out().contains("          consequences:\n            ERROR non-finite         layer 0 (dense0) "
        + "iterations 61-99: "), grouped.out());
    assertTrue(grouped.out().contains("1 run(s), 1 error(s), 0 warning(s) (2 alerts grouped by cause"), grouped.out());
    CliRun flat = CliRun.of(new ReportCommand(), "--data", root.toString(), "--fail-on", "error", "--all-alerts");
    assertEquals(3, flat.exitCode(), flat.err());
    assertTrue(flat.out().contains("    ERROR non-finite         run nan layer 0 (dense0) iterations 61-99: "), flat.out());
    assertTrue(flat.out().contains("1 run(s), 2 error(s), 0 warning(s)\n"), flat.out());
  }

  @Test
  void failOnRejectsUnknownLevels() {
    deadRun();
    CliRun run = CliRun.of(new ReportCommand(), "--data", root.toString(), "--fail-on", "info");
    assertEquals(2, run.exitCode());
    assertTrue(run.err().contains("--fail-on"), run.err());
  }
}
