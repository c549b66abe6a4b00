package dev.activationmonkey.analytics;

import static java.util.Objects.requireNonNull;

/**
 * One layer in one epoch of a run.
 *
 * @param activationZeroFraction mean, over the epoch's de-duplicated activation snapshots of the layer,
 *     of the share of activations exactly 0; NaN where the layer has no activation snapshots
 * @param gradientL2Norm mean, over the epoch's (worker, iteration) gradient snapshots of the layer, of the
 *     L2 norm of the layer's whole gradient: sqrt of the sum of the squared L2 norms of all its
 *     parameters' gradients (W, b, ...), so layers with and without a weight matrix compare alike; NaN
 *     where the layer has no gradient snapshots
 */
public record LayerEpochSummary(
    int layerIndex, String layerName, int epoch, double activationZeroFraction, double gradientL2Norm) {
  public LayerEpochSummary {
    requireNonNull(layerName, "layerName is null");
  }
}
