package dev.activationmonkey.analytics.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The terminal report: one block per run, alerts last (grouped by cause, each with its onset and what to try),
 * then the runs side by side.
 */
public final class TextReport {
  private TextReport() {}

  /** The report with alerts grouped by cause ({@link Diagnosis}). */
  public static String render(Report report) {
    return render(report, false);
  }

  /**
   * @param allAlerts list every rule's alert on its own (the flat list) instead of grouping them by cause
   */
  public static String render(Report report, boolean allAlerts) {
    StringBuilder sb = new StringBuilder();
    sb.append("Activation Monkey report: ").append(report.dataset()).append("  (engine ").append(report.engine())
        .append(")\n");
    if (!report.badFiles().isEmpty()) {
      sb.append("\nUnreadable files left out (the rest is reported):\n");
      report.badFiles().forEach((f, why) -> sb.append("  ").append(f).append(": ").append(why).append('\n'));
    }
    for (RunReport run : report.runs()) {
      Windows w = run.windows();
      sb.append("\nRun ").append(run.runId()).append(String.format(Locale.ROOT,
          "  iterations %d-%d, %d layers, %d workers, window %d iterations (last window %d-%d)",
          w.firstIteration(), w.lastIteration(), run.layers().size(), run.workers(), w.width(),
          w.windowStart(w.lastWindow()), w.lastIteration()));
      if (!Double.isNaN(run.finalAccuracy())) {
        sb.append(", final accuracy ").append(Format.pct(run.finalAccuracy()));
      }
      sb.append('\n');
      TextTable t = new TextTable(List.of("layer", "name", "type", "activation", "zero", "near-0", "dead(last)",
          "dead(run)", "lazy", "saturated", "grad L2", "grad growth", "log10 upd/param", "NaN/Inf"));
      for (LayerReport l : run.layers()) {
        t.row(List.of(String.valueOf(l.layerIndex()), l.layerName(), l.layerType(),
            l.activationFunction() == null ? "-" : l.activationFunction(), Format.pct(l.zeroFraction()),
            Format.pct(l.nearZeroFraction()), units(l.deadLastWindow(), l.neurons()),
            units(l.deadWholeRun(), l.neurons()), units(l.lazy(), l.neurons()),
            l.bounded() ? Format.pct(l.saturatedFraction()) : "-", Format.sci(l.gradientL2()),
            Format.sci(l.gradientGrowth()), Format.fixed(l.updateRatioLog10(), 2), String.valueOf(l.nonFinite())));
      }
      sb.append(t.render("  "));
      if (!Double.isNaN(run.gradientRatio())) {
        sb.append("  gradient flow: layer ").append(run.firstGradientLayer()).append(" / layer ")
            .append(run.lastGradientLayer()).append(" gradient L2 = ").append(Format.sci(run.gradientRatio()))
            .append(" (last window)\n");
      }
      if (run.alerts().isEmpty()) {
        sb.append("  no alerts\n");
      } else if (allAlerts) {
        sb.append("  alerts (each rule's findings, not grouped):\n");
        for (Alert a : run.alerts()) {
          alert(sb, a, a.level(), "    ", true);
          details(sb, a, "          ", true);
        }
      } else {
        sb.append("  alerts:\n");
        for (Diagnosis d : run.diagnoses()) {
          alert(sb, d.cause(), d.level(), "    ", true);
          details(sb, d.cause(), "          ", true);
          if (!d.consequences().isEmpty()) {
            sb.append("          consequences:\n");
            for (Alert a : d.consequences()) {
              alert(sb, a, a.level(), "            ", false);
              details(sb, a, "                  ", false);
            }
          }
        }
      }
    }
    if (report.runs().size() > 1) {
      sb.append("\nRuns side by side (last window)\n");
      sb.append(comparison(report).render("  "));
    }
    List<Alert.Level> levels = allAlerts ? report.alerts().stream().map(Alert::level).toList()
        : report.diagnoses().stream().map(Diagnosis::level).toList();
    long errors = levels.stream().filter(l -> l == Alert.Level.ERROR).count();
    long warnings = levels.size() - errors;
    sb.append(String.format(Locale.ROOT, "%n%d run(s), %d error(s), %d warning(s)", report.runs().size(), errors,
        warnings));
    if (!allAlerts && report.alerts().size() > levels.size()) {
      sb.append(String.format(Locale.ROOT, " (%d alerts grouped by cause; --all-alerts lists them one by one)",
          report.alerts().size()));
    }
    return sb.append('\n').toString();
  }

  /** One alert's line; a cause is shown at its diagnosis's level (the highest of its consequences'). */
  private static void alert(StringBuilder sb, Alert a, Alert.Level level, String indent, boolean withRun) {
    sb.append(indent).append(String.format(Locale.ROOT, "%-5s %-18s %s: %s%n", level, a.rule(),
        withRun ? a.where() : (a.layer().strip() + " iterations " + a.fromIteration() + "-" + a.toIteration()),
        a.message()));
  }

  private static void details(StringBuilder sb, Alert a, String indent, boolean remedies) {
    if (a.onset() != null) {
      sb.append(indent).append("onset: ").append(a.onset().describe()).append('\n');
    }
    if (remedies) {
      for (int i = 0; i < a.remedies().size(); i++) {
        sb.append(indent).append(i == 0 ? "try: " : "     ").append(a.remedies().get(i).describe()).append('\n');
      }
    }
  }

  /** Rows: per layer, a metric; columns: runs. */
  public static TextTable comparison(Report report) {
    List<String> header = new ArrayList<>(List.of("layer", "metric"));
    report.runs().forEach(r -> header.add(r.runId()));
    TextTable t = new TextTable(header);
    List<String> accuracy = new ArrayList<>(List.of("-", "final accuracy"));
    report.runs().forEach(r -> accuracy.add(Format.pct(r.finalAccuracy())));
    t.row(accuracy);
    List<String> flow = new ArrayList<>(List.of("-", "grad first/last"));
    report.runs().forEach(r -> flow.add(Format.sci(r.gradientRatio())));
    t.row(flow);
    List<String> alerts = new ArrayList<>(List.of("-", "alerts"));
    report.runs().forEach(r -> alerts.add(String.valueOf(r.alerts().size())));
    t.row(alerts);
    int maxLayers = report.runs().stream().mapToInt(r -> r.layers().size()).max().orElse(0);
    for (int i = 0; i < maxLayers; i++) {
      final int index = i;
      addMetric(t, report, index, "zero", l -> Format.pct(l.zeroFraction()));
      addMetric(t, report, index, "dead(last)", l -> l.neurons() == 0 ? "-" : Format.pct(l.deadShare()));
      addMetric(t, report, index, "saturated", l -> l.bounded() ? Format.pct(l.saturatedFraction()) : "-");
      addMetric(t, report, index, "grad L2", l -> Format.sci(l.gradientL2()));
    }
    return t;
  }

  private static void addMetric(TextTable t, Report report, int position, String metric,
      java.util.function.Function<LayerReport, String> f) {
    List<String> row = new ArrayList<>();
    String layer = "-";
    for (RunReport r : report.runs()) {
      if (position < r.layers().size()) {
        LayerReport l = r.layers().get(position);
        layer = l.layerIndex() + (l.layerName().isEmpty() ? "" : " " + l.layerName());
      }
    }
    row.add(layer);
    row.add(metric);
    for (RunReport r : report.runs()) {
      row.add(position < r.layers().size() ? f.apply(r.layers().get(position)) : "-");
    }
    t.row(row);
  }

  private static String units(int count, int of) {
    return of == 0 ? "-" : count + "/" + of;
  }
}
