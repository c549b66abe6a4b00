package dev.activationmonkey.analytics.report;

import dev.activationmonkey.analytics.chart.HeatmapRenderer;
import dev.activationmonkey.analytics.chart.LineChartSvg;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * The report as one self-contained HTML file: tables, inline SVG line charts, heatmaps as PNG data URIs.
 * No script, stylesheet or font is fetched from anywhere, so it opens offline and can be attached to a
 * ticket.
 */
public final class HtmlReport {
  /** Neuron × iteration heatmaps are drawn for at most this many layers per run (the first ones with firing rates). */
  static final int MAX_FIRING_LAYERS = 8;

  private HtmlReport() {}

  public static void write(Report report, ReportEngine engine, Path file) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, render(report, engine), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file, e);
    }
  }

  public static String render(Report report, ReportEngine engine) {
    StringBuilder sb = new StringBuilder();
    sb.append("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Activation Monkey report</title>")
        .append("<style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}")
        .append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}")
        .append("td.t{text-align:left}.ERROR{background:#fdd}.WARN{background:#ffe9b3}")
        .append("img{display:block;margin:8px 0}h2{border-bottom:2px solid #444}</style></head><body>");
    sb.append("<h1>Activation Monkey report</h1><p>Dataset <code>").append(esc(report.dataset()))
        .append("</code>, engine ").append(report.engine()).append(", ").append(report.runs().size())
        .append(" run(s), ").append(report.diagnoses().size()).append(" finding(s) grouped by cause from ")
        .append(report.alerts().size()).append(" alert(s).</p>");
    if (!report.badFiles().isEmpty()) {
      sb.append("<h3>Unreadable files left out</h3><ul>");
      report.badFiles().forEach((f, why) -> sb.append("<li><code>").append(esc(f)).append("</code>: ")
          .append(esc(why)).append("</li>"));
      sb.append("</ul>");
    }
    if (report.runs().size() > 1) {
      sb.append("<h2>Runs side by side</h2>").append(table(TextReport.comparison(report)));
    }
    for (RunReport run : report.runs()) {
      sb.append("<h2>Run ").append(esc(run.runId())).append("</h2>");
      Windows w = run.windows();
      sb.append("<p>Iterations ").append(w.firstIteration()).append("–").append(w.lastIteration()).append(", ")
          .append(run.workers()).append(" worker(s); windows of ").append(w.width()).append(" iterations")
          .append(Double.isNaN(run.finalAccuracy()) ? "" : "; final accuracy " + Format.pct(run.finalAccuracy()))
          .append(Double.isNaN(run.gradientRatio()) ? "" : "; first/last layer gradient L2 " + Format.sci(run.gradientRatio()))
          .append(".</p>");
      if (run.alerts().isEmpty()) {
        sb.append("<p>No alerts.</p>");
      } else {
        sb.append("<table><tr><th>level</th><th>rule</th><th>layer</th><th>iterations</th><th>onset</th>"
            + "<th>finding</th><th>evidence</th><th>what to try</th></tr>");
        for (Diagnosis d : run.diagnoses()) {
          alertRow(sb, d.cause(), d.level(), "", true);
          for (Alert a : d.consequences()) {
            alertRow(sb, a, a.level(), "&#8627; consequence: ", false);
          }
        }
        sb.append("</table>");
      }
      sb.append(table(layerTable(run)));
      sb.append(lines(run, "Gradient L2 norm per layer", "gradient L2", LayerIterationRow::gradientL2, true));
      sb.append(lines(run, "Exact-zero activations per layer", "zero fraction", LayerIterationRow::zeroFraction, false));
      if (run.layers().stream().anyMatch(l -> l.bounded() && !Double.isNaN(l.saturatedFraction()))) {
        sb.append(lines(run, "Saturated activations per layer", "saturated fraction",
            LayerIterationRow::saturatedFraction, false));
      }
      sb.append(lines(run, "Update:parameter ratio per layer", "log10(update/parameter)",
          LayerIterationRow::updateRatioLog10, false));
      sb.append(img(HeatmapRenderer.png(Heatmaps.sparsity(run.runId(), run.series()), 640), "sparsity heatmap"));
      sb.append(img(HeatmapRenderer.png(Heatmaps.gradientNorm(run.runId(), run.series()), 640), "gradient heatmap"));
      int drawn = 0;
      for (LayerReport l : run.layers()) {
        if (l.neurons() == 0 || drawn >= MAX_FIRING_LAYERS) {
          continue;
        }
        drawn++;
        sb.append(img(HeatmapRenderer.png(Heatmaps.firingRate(run.runId(), l.layerIndex(), l.layerName(),
            engine.neuronIterations(run.runId(), l.layerIndex())), 640), "firing rates layer " + l.layerIndex()));
      }
    }
    sb.append("<p style='color:#777'>Thresholds: ").append(esc(report.thresholds().values().toString()))
        .append("</p></body></html>\n");
    return sb.toString();
  }

  private static void alertRow(StringBuilder sb, Alert a, Alert.Level level, String prefix, boolean remedies) {
    sb.append("<tr class='").append(level).append("'><td class='t'>").append(level).append("</td><td class='t'>")
        .append(prefix).append(a.rule()).append("</td><td>").append(a.layerIndex() == null ? "" : a.layerIndex())
        .append("</td><td>").append(a.fromIteration()).append("–").append(a.toIteration())
        .append("</td><td class='t'>").append(a.onset() == null ? "" : esc(a.onset().describe()))
        .append("</td><td class='t'>").append(esc(a.message())).append("</td><td class='t'>")
        .append(esc(new TreeMap<>(a.evidence()).entrySet().stream()
            .map(e -> e.getKey() + "=" + Format.sci(e.getValue())).toList().toString()))
        .append("</td><td class='t'>");
    if (remedies) {
      sb.append(String.join("<br>", a.remedies().stream().map(r -> esc(r.describe())).toList()));
    }
    sb.append("</td></tr>");
  }

  private static TextTable layerTable(RunReport run) {
    TextTable t = new TextTable(List.of("layer", "name", "type", "activation", "zero", "near-0", "dead(last)",
        "dead(run)", "lazy", "saturated", "grad L2", "grad growth", "log10 upd/param", "NaN/Inf"));
    for (LayerReport l : run.layers()) {
      t.row(List.of(String.valueOf(l.layerIndex()), l.layerName(), l.layerType(),
          l.activationFunction() == null ? "-" : l.activationFunction(), Format.pct(l.zeroFraction()),
          Format.pct(l.nearZeroFraction()), l.neurons() == 0 ? "-" : l.deadLastWindow() + "/" + l.neurons(),
          l.neurons() == 0 ? "-" : l.deadWholeRun() + "/" + l.neurons(), l.neurons() == 0 ? "-" : l.lazy() + "/" + l.neurons(),
          l.bounded() ? Format.pct(l.saturatedFraction()) : "-", Format.sci(l.gradientL2()),
          Format.sci(l.gradientGrowth()), Format.fixed(l.updateRatioLog10(), 2), String.valueOf(l.nonFinite())));
    }
    return t;
  }

  private static String lines(RunReport run, String title, String yLabel, ToDoubleFunction<LayerIterationRow> f,
      boolean log) {
    Map<Integer, List<LayerIterationRow>> byLayer = new TreeMap<>();
    run.series().forEach(r -> byLayer.computeIfAbsent(r.layerIndex(), k -> new ArrayList<>()).add(r));
    List<LineChartSvg.Series> series = new ArrayList<>();
    byLayer.forEach((layer, rows) -> {
      // At most ~400 points per line: average consecutive iterations.
      int step = Math.max(1, rows.size() / 400);
      List<Long> xs = new ArrayList<>();
      List<Double> ys = new ArrayList<>();
      for (int i = 0; i < rows.size(); i += step) {
        double sum = 0;
        int n = 0;
        for (int j = i; j < Math.min(rows.size(), i + step); j++) {
          double v = f.applyAsDouble(rows.get(j));
          if (!Double.isNaN(v)) {
            sum += v;
            n++;
          }
        }
        xs.add(rows.get(i).iteration());
        ys.add(n == 0 ? Double.NaN : sum / n);
      }
      if (ys.stream().anyMatch(y -> !Double.isNaN(y))) {
        String name = "layer " + layer + (rows.get(0).layerName().isEmpty() ? "" : " " + rows.get(0).layerName());
        series.add(new LineChartSvg.Series(name, xs.stream().mapToLong(Long::longValue).toArray(),
            ys.stream().mapToDouble(Double::doubleValue).toArray()));
      }
    });
    if (series.isEmpty()) {
      return "";
    }
    return "<div>" + LineChartSvg.render(title + ", run " + run.runId(), yLabel, series, log) + "</div>";
  }

  private static String img(byte[] png, String alt) {
    return "<img alt='" + esc(alt) + "' src='data:image/png;base64," + Base64.getEncoder().encodeToString(png) + "'>";
  }

  private static String table(TextTable t) {
    return t.html();
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
  }
}
