package dev.activationmonkey.trainer.stats;

import java.util.Arrays;

/**
 * The statistics of one array, as computed on the worker. Moments are over the finite elements; NaN and
 * infinities are only counted. Vectors are small (one entry per neuron, bin or sampled value) and may be
 * null where not requested or not applicable.
 */
public record ArrayStats(
    long count,
    double mean,
    double std,
    double min,
    double max,
    double meanAbs,
    double l2Norm,
    double zeroFraction,
    double nearZeroFraction,
    double nearZeroThreshold,
    long nanCount,
    long posInfCount,
    long negInfCount,
    double[] histogramEdges,
    long[] histogramCounts,
    boolean perChannel,
    int examples,
    float[] firingRate,
    float[] meanActivation,
    Double saturatedFraction,
    int[] sampleShape,
    float[] sampleValues) {

  @Override
  public String toString() {
    return "ArrayStats[count=" + count + ", mean=" + mean + ", std=" + std + ", min=" + min + ", max=" + max
        + ", meanAbs=" + meanAbs + ", l2=" + l2Norm + ", zero=" + zeroFraction + ", nearZero=" + nearZeroFraction
        + ", nan=" + nanCount + ", +inf=" + posInfCount + ", -inf=" + negInfCount
        + ", histogram=" + Arrays.toString(histogramCounts) + ", firing=" + Arrays.toString(firingRate)
        + ", saturated=" + saturatedFraction + "]";
  }
}
