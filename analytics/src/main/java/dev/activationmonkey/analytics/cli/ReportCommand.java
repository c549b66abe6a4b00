package dev.activationmonkey.analytics.cli;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.report.Alert;
import dev.activationmonkey.analytics.report.DuckDbEngine;
import dev.activationmonkey.analytics.report.HtmlReport;
import dev.activationmonkey.analytics.report.Report;
import dev.activationmonkey.analytics.report.ReportBuilder;
import dev.activationmonkey.analytics.report.ReportEngine;
import dev.activationmonkey.analytics.report.SparkEngine;
import dev.activationmonkey.analytics.report.TextReport;
import dev.activationmonkey.analytics.report.Thresholds;
import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.errors.InvalidInputException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "report", mixinStandardHelpOptions = true,
    description = {
        "Sparsity, dead and lazy neurons, saturation and gradient health per run and layer, with alerts.",
        "Rules and thresholds: docs/analytics.md (--threshold KEY=VALUE or --rules FILE to change them).",
        "Exit codes: 0 ok, 2 bad input (missing path, empty dataset, unknown run), 3 alerts at or above --fail-on."},
    sortOptions = false)
public final class ReportCommand implements Callable<Integer> {
  /** The engines --engine accepts. */
  public enum Engine { duckdb, spark }

  /** The levels --fail-on accepts. */
  public enum FailOn { warn, error }

  @Spec
  CommandSpec spec;

  @Option(names = "--data", required = true, paramLabel = "URI",
      description = "The collector's dataset root (holds snapshots/, runs/, evaluations/).")
  String data;

  @Option(names = "--run", paramLabel = "ID", description = "Report this run (repeatable); default: every run.")
  List<String> runs = new ArrayList<>();

  @Option(names = "--html", paramLabel = "FILE", description = "Also write a self-contained HTML report with charts.")
  Path html;

  @Option(names = "--fail-on", paramLabel = "LEVEL",
      description = "Exit with code 3 when an alert at this level or above is raised: ${COMPLETION-CANDIDATES}.")
  FailOn failOn;

  @Option(names = "--all-alerts",
      description = "List every rule's alert on its own instead of grouping consequences under their cause.")
  boolean allAlerts;

  @Option(names = "--engine", defaultValue = "duckdb", paramLabel = "ENGINE",
      description = "duckdb (embedded, default) or spark (Spark SQL; same numbers).")
  Engine engine;

  @Option(names = "--master", paramLabel = "URL",
      description = "Spark master for --engine spark (default: spark-submit's, else local[*]).")
  String master;

  @Option(names = "--rules", paramLabel = "FILE", description = "Thresholds as KEY=VALUE lines (Java properties).")
  Path rules;

  @Option(names = "--threshold", paramLabel = "KEY=VALUE", description = "Override one threshold (repeatable).")
  Map<String, String> thresholds = new LinkedHashMap<>();

  @Override
  public Integer call() throws IOException {
    if (master != null && engine != Engine.spark) {
      throw new InvalidInputException("--master is only used with --engine spark");
    }
    Thresholds t = Thresholds.load(rules, thresholds);
    Report report;
    try (ReportEngine e = open()) {
      report = new ReportBuilder(e, t).build(data, runs);
      if (html != null) {
        HtmlReport.write(report, e, html);
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    out.print(TextReport.render(report, allAlerts));
    if (html != null) {
      out.println("HTML report: " + html.toAbsolutePath());
    }
    out.flush();
    if (failOn != null
        && report.hasAlertsAtLeast(failOn == FailOn.warn ? Alert.Level.WARN : Alert.Level.ERROR)) {
      return ExitCode.ALERTS;
    }
    return ExitCode.OK;
  }

  private ReportEngine open() {
    return engine == Engine.spark ? SparkEngine.open(data, master) : new DuckDbEngine(ActivationLog.open(data), true);
  }
}
