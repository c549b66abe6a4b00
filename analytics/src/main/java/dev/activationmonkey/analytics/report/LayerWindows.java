package dev.activationmonkey.analytics.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/** One layer's rows of a run cut by {@link Windows}, for per-window values (onsets) in {@link ReportBuilder}. */
final class LayerWindows {
  private final List<LayerIterationRow> all;
  private final List<List<LayerIterationRow>> rows = new ArrayList<>();
  /** Per window: neuron to {max rate, sum of rates, snapshots}. */
  private final List<Map<Integer, double[]>> neurons = new ArrayList<>();

  LayerWindows(Windows w, List<LayerIterationRow> layerRows, List<NeuronWindowRow> neuronRows) {
    this.all = layerRows;
    for (int k = 0; k <= w.lastWindow(); k++) {
      rows.add(new ArrayList<>());
      neurons.add(new TreeMap<>());
    }
    for (LayerIterationRow r : layerRows) {
      int k = w.windowOf(r.iteration());
      if (k >= 0 && k < rows.size()) {
        rows.get(k).add(r);
      }
    }
    for (NeuronWindowRow n : neuronRows) {
      if (n.window() >= 0 && n.window() < neurons.size()) {
        double[] acc = neurons.get(n.window()).computeIfAbsent(n.neuron(), x -> new double[3]);
        acc[0] = Math.max(acc[0], n.maxRate());
        acc[1] += n.sumRate();
        acc[2] += n.snapshots();
      }
    }
  }

  List<LayerIterationRow> all() {
    return all;
  }

  List<LayerIterationRow> rows(int window) {
    return window >= 0 && window < rows.size() ? rows.get(window) : List.of();
  }

  double mean(int window, Function<LayerIterationRow, Stat> f) {
    return Stat.mean(rows(window), f);
  }

  double[] means(Function<LayerIterationRow, Stat> f) {
    double[] out = new double[rows.size()];
    for (int k = 0; k < out.length; k++) {
      out[k] = mean(k, f);
    }
    return out;
  }

  /** NaN/Inf in the window's activations: its firing rates say nothing about dead or lazy units. */
  boolean activationNonFinite(int window) {
    return rows(window).stream().anyMatch(r -> r.activationNonFinite() > 0);
  }

  boolean nonFinite(int window) {
    return rows(window).stream().anyMatch(r -> r.activationNonFinite() + r.gradientNonFinite()
        + r.parameterNonFinite() > 0);
  }

  /** Share of the layer's units that never fired in the window; NaN without firing rates or with NaN activations. */
  double deadShare(int window, int units) {
    if (units == 0 || window >= neurons.size() || neurons.get(window).isEmpty() || activationNonFinite(window)) {
      return Double.NaN;
    }
    return neurons.get(window).values().stream().filter(acc -> acc[0] <= 0).count() / (double) units;
  }

  /** Share of the layer's units that fired in the window, on average for less than {@code rate} of examples. */
  double lazyShare(int window, int units, double rate) {
    if (units == 0 || window >= neurons.size() || neurons.get(window).isEmpty() || activationNonFinite(window)) {
      return Double.NaN;
    }
    return neurons.get(window).values().stream().filter(acc -> acc[0] > 0 && acc[1] / acc[2] < rate).count()
        / (double) units;
  }
}
