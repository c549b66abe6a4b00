package dev.activationmonkey.analytics.cli;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.chart.HeatmapData;
import dev.activationmonkey.analytics.chart.HeatmapRenderer;
import dev.activationmonkey.analytics.report.Heatmaps;
import dev.activationmonkey.analytics.report.DuckDbEngine;
import dev.activationmonkey.analytics.report.LayerIterationRow;
import dev.activationmonkey.analytics.report.NeuronIterationRow;
import dev.activationmonkey.errors.InvalidInputException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "heatmap", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Write a heatmap PNG (colour scale, axis labels, title) of one run:",
        "  sparsity       layer x iteration, share of activations exactly 0",
        "  gradient-norm  layer x iteration, gradient L2 norm (log colour scale)",
        "  firing-rate    neuron x iteration of one --layer, share of examples each neuron fired for"})
public final class HeatmapCommand implements Callable<Integer> {
  /** What to draw. */
  public enum Metric {
    sparsity, gradient_norm, firing_rate;

    static Metric parse(String text) {
      return valueOf(text.replace('-', '_').toLowerCase(java.util.Locale.ROOT));
    }
  }

  @Spec
  CommandSpec spec;

  @Option(names = "--data", required = true, paramLabel = "URI", description = "The collector's dataset root.")
  String data;

  @Option(names = "--run", required = true, paramLabel = "ID", description = "The run to draw.")
  String run;

  @Option(names = "--metric", defaultValue = "sparsity", paramLabel = "METRIC",
      description = "sparsity, gradient-norm or firing-rate (default ${DEFAULT-VALUE}).")
  String metric;

  @Option(names = "--layer", paramLabel = "N", description = "Layer index, for --metric firing-rate.")
  Integer layer;

  @Option(names = "--out", required = true, paramLabel = "FILE.png", description = "Where to write the PNG.")
  Path out;

  @Override
  public Integer call() {
    Metric m;
    try {
      m = Metric.parse(metric);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException("--metric must be sparsity, gradient-norm or firing-rate, got '" + metric + "'");
    }
    if (m == Metric.firing_rate && layer == null) {
      throw new InvalidInputException("--metric firing-rate needs --layer N (the layer whose neurons to draw)");
    }
    HeatmapData heatmap;
    try (ActivationLog log = ActivationLog.open(data); DuckDbEngine engine = new DuckDbEngine(log, false)) {
      log.requireRun(run);
      if (m == Metric.firing_rate) {
        List<NeuronIterationRow> rows = engine.neuronIterations(run, layer);
        if (rows.isEmpty()) {
          throw new InvalidInputException("Run " + run + " has no firing rates for layer " + layer
              + " (no activation snapshots with per-neuron statistics). Layers with them: "
              + log.select("SELECT DISTINCT layer_index FROM activations WHERE run_id = ? AND firing_rate IS NOT NULL"
                  + " ORDER BY 1", rs -> rs.getInt(1), run));
        }
        String name = log.select("SELECT min(layer_name) FROM activations WHERE run_id = ? AND layer_index = ?",
            rs -> rs.getString(1), run, layer).get(0);
        heatmap = Heatmaps.firingRate(run, layer, name, rows);
      } else {
        long[] range = engine.iterationRanges(List.of(run)).get(run);
        List<LayerIterationRow> rows = engine.layerIterations(List.of(
            dev.activationmonkey.analytics.report.Windows.of(run, range[0], range[1], 10)));
        heatmap = m == Metric.sparsity ? Heatmaps.sparsity(run, rows) : Heatmaps.gradientNorm(run, rows);
      }
    }
    HeatmapRenderer.writePng(heatmap, out);
    spec.commandLine().getOut().println("wrote " + out.toAbsolutePath() + " (" + heatmap.values().length + " rows x "
        + heatmap.columnValues().length + " columns)");
    spec.commandLine().getOut().flush();
    return 0;
  }
}
