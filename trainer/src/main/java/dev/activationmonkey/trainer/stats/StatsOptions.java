package dev.activationmonkey.trainer.stats;

import java.io.Serializable;

/**
 * What {@link ArrayStatistics} computes beyond the moments.
 *
 * @param histogramBins equal-width bins between min and max; 0 = no histogram
 * @param neurons per-neuron (dense) / per-channel (convolution) firing rate and mean activation
 * @param sampleExamples raw activations of the first k examples of the batch; 0 = none
 * @param sampleMaxValues cap on the number of values in a sample (examples are dropped to fit)
 * @param nearZeroThreshold |x| at or below this counts as near zero
 */
public record StatsOptions(
    int histogramBins, boolean neurons, int sampleExamples, int sampleMaxValues, double nearZeroThreshold)
    implements Serializable {

  public StatsOptions {
    if (histogramBins < 0 || sampleExamples < 0 || sampleMaxValues < 0 || !(nearZeroThreshold >= 0)) {
      throw new IllegalArgumentException("negative statistics option");
    }
  }

  /** The options for gradients, parameters and updates: the same histogram, no neuron vectors, no sample. */
  public static StatsOptions momentsOnlyWithHistogram(StatsOptions options) {
    return new StatsOptions(options.histogramBins(), false, 0, 0, options.nearZeroThreshold());
  }

  /** Moments only: no histogram, no neuron vectors, no sample. */
  public static StatsOptions momentsOnly(double nearZeroThreshold) {
    return new StatsOptions(0, false, 0, 0, nearZeroThreshold);
  }
}
