package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

/**
 * One layer at one iteration of a run, averaged over the workers (Spark partitions) that reported it.
 * Doubles are NaN where the layer had no snapshot of that kind at that iteration.
 *
 * @param gradientL2 L2 norm of the layer's whole gradient: sqrt(sum over its parameters of l2_norm^2)
 * @param updateRatioLog10 mean over workers of log10(update L2 / parameter L2), both over all parameters
 * @param nonFinite NaN + Inf element counts summed over workers, per kind
 */
public record LayerIterationRow(
    String runId, int layerIndex, String layerName, String layerType, String activationFunction,
    int epoch, long iteration, int workers,
    double zeroFraction, double nearZeroFraction, double saturatedFraction,
    double gradientL2, double parameterL2, double updateL2, double updateRatioLog10,
    long activationNonFinite, long gradientNonFinite, long parameterNonFinite) {
  public LayerIterationRow {
    requireNonNull(runId, "runId is null");
    layerName = layerName == null ? "" : layerName;
    layerType = layerType == null ? "" : layerType;
  }
}
