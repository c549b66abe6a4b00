package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

/**
 * One neuron (or convolution channel) of a layer over one window of iterations: the highest firing rate
 * any worker's snapshot saw, and the sum and count of firing rates (for the mean).
 */
public record NeuronWindowRow(
    String runId, int layerIndex, int window, int neuron, double maxRate, double sumRate, long snapshots) {
  public NeuronWindowRow {
    requireNonNull(runId, "runId is null");
  }
}
