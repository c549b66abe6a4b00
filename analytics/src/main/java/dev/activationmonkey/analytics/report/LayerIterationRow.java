package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

/**
 * One layer over a bin of consecutive iterations [iteration, lastIteration] of a run (bins never cross a
 * {@link Windows} window; at most {@link ReportSql#BINS_PER_WINDOW} per window, one iteration each for short
 * runs). Per iteration, each value is first averaged over the workers (Spark partitions) that reported it;
 * the {@link Stat}s then hold the sum and count of those per-iteration values over the bin, so window means
 * weigh every iteration the same.
 *
 * @param gradient L2 norm of the layer's whole gradient, sqrt(sum over its parameters of l2_norm^2), per
 *     worker, averaged over workers (parameter and update likewise)
 * @param updateRatio log10(update L2 / parameter L2) of the worker-averaged norms
 * @param activationNonFinite NaN + Inf element counts summed over workers and the bin (per kind)
 * @param firstNonFiniteIteration the first iteration in the bin with a NaN/Inf, or -1
 */
public record LayerIterationRow(
    String runId, int layerIndex, String layerName, String layerType, String activationFunction,
    int epoch, long iteration, long lastIteration, int workers,
    Stat zero, Stat nearZero, Stat saturated, Stat gradient, Stat parameter, Stat update, Stat updateRatio,
    long activationNonFinite, long gradientNonFinite, long parameterNonFinite, long firstNonFiniteIteration) {
  public LayerIterationRow {
    requireNonNull(runId, "runId is null");
    layerName = layerName == null ? "" : layerName;
    layerType = layerType == null ? "" : layerType;
  }

  public double zeroFraction() {
    return zero.mean();
  }

  public double nearZeroFraction() {
    return nearZero.mean();
  }

  public double saturatedFraction() {
    return saturated.mean();
  }

  public double gradientL2() {
    return gradient.mean();
  }

  public double parameterL2() {
    return parameter.mean();
  }

  public double updateL2() {
    return update.mean();
  }

  public double updateRatioLog10() {
    return updateRatio.mean();
  }
}
