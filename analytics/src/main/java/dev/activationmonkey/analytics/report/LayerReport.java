package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

/**
 * One layer of one run, summarised. "Last window" values are means over the last window of iterations
 * (see {@link Windows}); NaN where the layer has no data of that kind.
 *
 * @param neurons units with firing rates (neurons or channels); 0 where the snapshots carry none
 * @param deadLastWindow units that never fired (max firing rate 0) in the last window
 * @param deadWholeRun units that never fired in the whole run
 * @param lazy units, not dead over the run, whose mean firing rate over the run is below {@code lazy.rate}
 * @param gradientGrowth gradient L2 norm, last window mean over first window mean
 */
public record LayerReport(int layerIndex, String layerName, String layerType, String activationFunction,
    int neurons, int deadLastWindow, int deadWholeRun, int lazy,
    double zeroFraction, double nearZeroFraction, double saturatedFraction,
    double gradientL2, double gradientGrowth, double updateRatioLog10,
    long activationNonFinite, long gradientNonFinite, long parameterNonFinite, long firstNonFiniteIteration) {
  public LayerReport {
    requireNonNull(layerName, "layerName is null");
    requireNonNull(layerType, "layerType is null");
  }

  public double deadShare() {
    return neurons == 0 ? Double.NaN : (double) deadLastWindow / neurons;
  }

  public double lazyShare() {
    return neurons == 0 ? Double.NaN : (double) lazy / neurons;
  }

  public long nonFinite() {
    return activationNonFinite + gradientNonFinite + parameterNonFinite;
  }

  public boolean bounded() {
    return ReportBuilder.BOUNDED_ACTIVATIONS.contains(activationFunction == null ? "" : activationFunction);
  }
}
