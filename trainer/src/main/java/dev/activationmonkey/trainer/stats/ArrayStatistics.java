package dev.activationmonkey.trainer.stats;

import dev.activationmonkey.trainer.diag.StageTimers;
import dev.activationmonkey.trainer.diag.StageTimers.Stage;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.api.ops.impl.reduce.longer.MatchCondition;
import org.nd4j.linalg.api.ops.impl.summarystats.Variance;
import org.nd4j.linalg.api.ops.impl.transforms.Histogram;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.indexing.conditions.Condition;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Computes {@link ArrayStats} of an array. Float and double arrays (every array DL4J hands the listener in practice)
 * go through {@link DirectScan}: one Java pass over the array's native memory for the moments and counts, a second for
 * the histogram, no ND4J op and nothing allocated per element. Other types (half precision, integers) take ND4J
 * reductions on the array: the sum first, and only if it is not finite (NaN, an infinity, an overflow) a slower path
 * that counts NaN and infinities and gathers the finite elements into a compact copy for the moments.
 *
 * <p>Arrays handed to listeners live in DL4J workspaces and are invalid after the iteration: every result is read out
 * before returning, and temporaries are created outside any workspace. Stateless, thread-safe.
 */
public final class ArrayStatistics {
  private ArrayStatistics() {}

  /**
   * Statistics of {@code array}.
   *
   * @param saturation the bounded range of the activation function, or null for none
   * @param activations true if the array is a layer's activations with the examples on axis 0: neuron
   *     vectors and the sample apply only then
   */
  public static ArrayStats compute(INDArray array, StatsOptions options, Saturation saturation, boolean activations) {
    return compute(array, options, saturation, activations, 1.0);
  }

  /**
   * Statistics of {@code scale * array}, without computing the product: moments, extremes, norms and histogram
   * edges scale linearly, the near-zero test uses {@code threshold / scale}, counts and neuron vectors do not
   * change. The listener reports DL4J's summed mini-batch gradient as the gradient of the mean loss this way.
   *
   * @param scale a positive factor
   */
  public static ArrayStats compute(INDArray array, StatsOptions options, Saturation saturation, boolean activations,
      double scale) {
    if (!(scale > 0) || Double.isInfinite(scale)) {
      throw new IllegalArgumentException("scale must be positive and finite, was " + scale);
    }
    try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      StatsOptions unscaled = scale == 1.0 ? options : new StatsOptions(options.histogramBins(), options.neurons(),
          options.sampleExamples(), options.sampleMaxValues(), options.nearZeroThreshold() / scale);
      ArrayStats raw = computeOutsideWorkspaces(array, unscaled, saturation, activations);
      return scale == 1.0 ? raw : scaled(raw, scale, options.nearZeroThreshold());
    }
  }

  private static ArrayStats scaled(ArrayStats s, double scale, double threshold) {
    double[] edges = null;
    if (s.histogramEdges() != null) {
      edges = new double[s.histogramEdges().length];
      for (int i = 0; i < edges.length; i++) {
        edges[i] = s.histogramEdges()[i] * scale;
      }
    }
    return new ArrayStats(s.count(), s.mean() * scale, s.std() * scale, s.min() * scale, s.max() * scale,
        s.meanAbs() * scale, s.l2Norm() * scale, s.zeroFraction(), s.nearZeroFraction(), threshold, s.nanCount(),
        s.posInfCount(), s.negInfCount(), edges, s.histogramCounts(), s.perChannel(), s.examples(), s.firingRate(),
        s.meanActivation(), s.saturatedFraction(), s.sampleShape(), s.sampleValues());
  }

  private static ArrayStats computeOutsideWorkspaces(
      INDArray array, StatsOptions options, Saturation saturation, boolean activations) {
    OpExecutioner exec = Nd4j.getExecutioner();
    double threshold = options.nearZeroThreshold();
    long count = array.length();
    if (count == 0) {
      return new ArrayStats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, Double.NaN,
          Double.NaN, threshold, 0, 0, 0, null, null, false, 0, null, null, null, null, null);
    }
    if (DirectScan.supportsType(array)) {
      // A strided view (never one DL4J hands a listener, but possible through the API) is copied once into a dense
      // array: ND4J's histogram op misreads strided input, and the scan needs memory order.
      INDArray dense = DirectScan.supports(array) ? array : array.dup(array.ordering());
      return direct(dense, options, saturation, activations, count);
    }
    double sum = array.sumNumber().doubleValue();
    if (Double.isFinite(sum)) {
      Moments m = finiteMoments(exec, array, sum, options, saturation);
      return withVectors(array, options, activations, count, 0, 0, 0, m);
    }
    long nan = countMatching(exec, array, Conditions.isNan());
    long infinite = countMatching(exec, array, Conditions.isInfinite());
    long posInf = infinite == 0 ? 0 : countMatching(exec, array, Conditions.greaterThan(Float.MAX_VALUE));
    long negInf = infinite - posInf;
    long replaced = nan + infinite;
    if (replaced == count) {
      // Nothing finite: only the counts mean anything.
      return new ArrayStats(count, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, 0,
          threshold, nan, posInf, negInf, null, null, false, 0, null, null, null, null, null);
    }
    if (replaced == 0) {
      // Every element is finite and the float sum overflowed: the moments are still well defined.
      Moments m = finiteMoments(exec, array, sum, options, saturation);
      return withVectors(array, options, activations, count, 0, 0, 0, m);
    }
    return withVectors(array, options, activations, count, nan, posInf, negInf,
        nonFiniteMoments(exec, array, count - replaced, replaced, options, saturation));
  }

  /** Every float or double array DL4J hands the listener: one Java scan over its memory, see {@link DirectScan}. */
  private static ArrayStats direct(INDArray array, StatsOptions options, Saturation saturation, boolean activations,
      long count) {
    long t = StageTimers.start();
    DirectScan.Result r = DirectScan.scan(array, options.nearZeroThreshold(), options.histogramBins(), saturation);
    StageTimers.stop(Stage.SCAN, t);
    if (r.finite() == 0) {
      return new ArrayStats(count, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, 0,
          options.nearZeroThreshold(), r.nan(), r.posInf(), r.negInf(), null, null, false, 0, null, null, null, null,
          null);
    }
    double n = r.finite();
    double[] edges = r.histogram() == null ? null : edges(r.min(), r.max(), options.histogramBins());
    Double saturated = saturation == null ? null : r.saturated() / n;
    Moments m = new Moments(r.sum() / n, Math.sqrt(r.variance()), r.min(), r.max(), r.sumOfMagnitudes() / n,
        Math.sqrt(r.sumOfSquares()), (double) r.zeros() / count, (double) r.nearZeros() / count, edges, r.histogram(),
        saturated);
    return withVectors(array, options, activations, count, r.nan(), r.posInf(), r.negInf(), m);
  }

  /** The moments and optional whole-array parts; zero and near-zero fractions are over all elements. */
  private record Moments(double mean, double std, double min, double max, double meanAbs, double l2,
      double zeroFraction, double nearZeroFraction, double[] edges, long[] histogram, Double saturated) {}

  private static Moments finiteMoments(
      OpExecutioner exec, INDArray array, double sum, StatsOptions options, Saturation saturation) {
    long n = array.length();
    double min = array.minNumber().doubleValue();
    double max = array.maxNumber().doubleValue();
    double meanAbs = array.norm1Number().doubleValue() / n;
    double l2 = array.norm2Number().doubleValue();
    double mean = sum / n;
    // Variance from the first two moments saves a pass; it loses precision only when the spread is tiny next to
    // the mean (e.g. batch-norm gamma near 1), and there the exact two-pass op is used instead.
    double variance = l2 * l2 / n - mean * mean;
    if (!(variance > 1e-3 * mean * mean)) {
      variance = exec.exec(new Variance(array, false)).getDouble(0);
    }
    long zeros = countMatching(exec, array, Conditions.equals(0.0));
    long nearZeros = options.nearZeroThreshold() == 0 ? zeros
        : countMatching(exec, array, Conditions.absLessThanOrEqual(options.nearZeroThreshold()));
    double[] edges = null;
    long[] bins = null;
    if (options.histogramBins() > 0) {
      edges = edges(min, max, options.histogramBins());
      bins = exec.exec(new Histogram(array, options.histogramBins()))[0].toLongVector();
    }
    Double saturated = null;
    if (saturation != null) {
      long low = countMatching(exec, array, Conditions.lessThanOrEqual(saturation.lowThreshold()));
      long high = countMatching(exec, array, Conditions.greaterThanOrEqual(saturation.highThreshold()));
      saturated = (double) (low + high) / n;
    }
    return new Moments(mean, Math.sqrt(Math.max(0.0, variance)), min, max, meanAbs, l2, (double) zeros / n,
        (double) nearZeros / n, edges, bins, saturated);
  }

  /**
   * The moments over the finite elements of an array that holds NaN or infinities (a diverging network: rare,
   * so copies are acceptable here). Non-finite elements are replaced with values that are neutral for each
   * statistic, and the counts they add are taken back out.
   */
  private static Moments nonFiniteMoments(OpExecutioner exec, INDArray array, long n, long replaced,
      StatsOptions options, Saturation saturation) {
    INDArray zeroed = array.dup();
    // Two conditions: ND4J's notFinite() does not match NaN in 1.0.0-M2.
    BooleanIndexing.replaceWhere(zeroed, 0.0, Conditions.isNan());
    BooleanIndexing.replaceWhere(zeroed, 0.0, Conditions.isInfinite());
    double sum = zeroed.sumNumber().doubleValue();
    double mean = sum / n;
    double l2 = zeroed.norm2Number().doubleValue();
    double variance = l2 * l2 / n - mean * mean;
    double meanAbs = zeroed.norm1Number().doubleValue() / n;
    long count = array.length();
    long zeros = countMatching(exec, zeroed, Conditions.equals(0.0)) - replaced;
    long nearZeros = countMatching(exec, zeroed, Conditions.absLessThanOrEqual(options.nearZeroThreshold())) - replaced;

    INDArray other = array.dup();
    BooleanIndexing.replaceWhere(other, Double.POSITIVE_INFINITY, Conditions.isNan());
    BooleanIndexing.replaceWhere(other, Double.POSITIVE_INFINITY, Conditions.isInfinite());
    double min = other.minNumber().doubleValue();
    BooleanIndexing.replaceWhere(other, Double.NEGATIVE_INFINITY, Conditions.isInfinite());
    double max = other.maxNumber().doubleValue();
    // Now every replaced element becomes the minimum: it lands in the first bin and in the low end.
    BooleanIndexing.replaceWhere(other, min, Conditions.isInfinite());
    double[] edges = null;
    long[] bins = null;
    if (options.histogramBins() > 0) {
      edges = edges(min, max, options.histogramBins());
      bins = exec.exec(new Histogram(other, options.histogramBins()))[0].toLongVector();
      bins[0] -= replaced;
    }
    Double saturated = null;
    if (saturation != null) {
      long low = countMatching(exec, other, Conditions.lessThanOrEqual(saturation.lowThreshold()));
      long high = countMatching(exec, other, Conditions.greaterThanOrEqual(saturation.highThreshold()));
      if (min <= saturation.lowThreshold()) {
        low -= replaced;
      }
      saturated = (double) (low + high) / n;
    }
    return new Moments(mean, Math.sqrt(Math.max(0.0, variance)), min, max, meanAbs, l2, (double) zeros / count,
        (double) nearZeros / count, edges, bins, saturated);
  }

  private static ArrayStats withVectors(INDArray array, StatsOptions options, boolean activations, long count,
      long nan, long posInf, long negInf, Moments m) {
    boolean perChannel = false;
    int examples = 0;
    float[] firing = null;
    float[] meanActivation = null;
    int[] sampleShape = null;
    float[] sampleValues = null;
    long t = StageTimers.start();
    if (activations && array.rank() >= 2) {
      examples = (int) array.size(0);
      if (options.neurons()) {
        // Dense [batch, units]: reduce over the batch. Convolution [batch, channels, h, w] (or any rank > 2):
        // reduce over the batch and every spatial axis, leaving one value per channel.
        int[] axes = reductionAxes(array.rank());
        perChannel = array.rank() > 2;
        if (DirectScan.supports(array)) {
          float[][] perUnit = DirectScan.perUnit(array);
          firing = perUnit[0];
          meanActivation = perUnit[1];
        } else {
          firing = Transforms.step(array, true).mean(axes).toFloatVector();
          meanActivation = array.mean(axes).toFloatVector();
        }
      }
      if (options.sampleExamples() > 0 && examples > 0) {
        long perExample = array.length() / examples;
        long fit = options.sampleMaxValues() / Math.max(1, perExample);
        int k = (int) Math.min(Math.min(options.sampleExamples(), examples), fit);
        if (k > 0) {
          INDArray sample = array.get(NDArrayIndex.interval(0, k));
          long[] shape = sample.shape();
          sampleShape = new int[shape.length];
          for (int i = 0; i < shape.length; i++) {
            sampleShape[i] = (int) shape[i];
          }
          sampleValues = sample.dup('c').reshape(sample.length()).toFloatVector();
        }
      }
    }
    if (activations) {
      StageTimers.stop(Stage.NEURONS, t);
    }
    return new ArrayStats(count, m.mean(), m.std(), m.min(), m.max(), m.meanAbs(), m.l2(), m.zeroFraction(),
        m.nearZeroFraction(), options.nearZeroThreshold(), nan, posInf, negInf, m.edges(), m.histogram(),
        perChannel, examples, firing, meanActivation, m.saturated(), sampleShape, sampleValues);
  }

  /** Equal-width bin edges as ND4J's histogram op uses them: bins between min and max, the last closed. */
  static double[] edges(double min, double max, int bins) {
    double[] edges = new double[bins + 1];
    for (int i = 0; i < bins; i++) {
      edges[i] = min + (max - min) * i / bins;
    }
    edges[bins] = max;
    return edges;
  }

  private static int[] reductionAxes(int rank) {
    if (rank == 2) {
      return new int[] {0};
    }
    int[] axes = new int[rank - 1];
    axes[0] = 0;
    for (int i = 2; i < rank; i++) {
      axes[i - 1] = i;
    }
    return axes;
  }

  private static long countMatching(OpExecutioner exec, INDArray array, Condition condition) {
    // eps 0: exact comparisons (the default tolerance would count |x| < 1e-5 as "equal to 0").
    return exec.exec(new MatchCondition(array, 0.0, condition)).getLong(0);
  }
}
