package dev.activationmonkey.trainer.stats;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * Every whole-array statistic in one Java pass (two with a histogram) over the native memory of the array DL4J
 * holds, read in chunks into a per-thread scratch array: sum, sum of squares and of magnitudes (in double),
 * min, max, zero / near-zero / saturation counts, NaN and infinities; the second pass bins the histogram and
 * takes the exact squared deviations from the mean. Per-neuron (per-channel) firing rate and mean activation
 * come from one more pass over activations.
 *
 * <p>Why not ND4J ops: measured on the benchmark, a logged step ran ~10 ND4J reductions per array (each 30–50 µs
 * to launch, each allocating a result array whose native memory JavaCPP tracks with a GC reference and a
 * physical-memory check), and that fixed cost, not the arithmetic, made up most of the listener's time. Here
 * nothing is allocated per call but the small result arrays, and the cost is ~1 ns per element.
 *
 * <p>Applies to float and double arrays laid out densely in their order (every array DL4J hands a listener,
 * including views into its flat parameter and gradient buffers); anything else takes the ND4J path.
 */
final class DirectScan {
  private static final int CHUNK = 8192;
  private static final ThreadLocal<float[]> FLOATS = ThreadLocal.withInitial(() -> new float[CHUNK]);
  private static final ThreadLocal<double[]> DOUBLES = ThreadLocal.withInitial(() -> new double[CHUNK]);

  private DirectScan() {}

  /** Float or double, non-empty, addressable with an int. */
  static boolean supportsType(INDArray array) {
    DataType t = array.dataType();
    return (t == DataType.FLOAT || t == DataType.DOUBLE) && !array.isEmpty() && array.length() > 0
        && array.length() < Integer.MAX_VALUE;
  }

  /** Scannable in place: a supported type laid out densely in its order. */
  static boolean supports(INDArray array) {
    return supportsType(array) && Shape.hasDefaultStridesForShape(array);
  }

  /** Reads the array's elements in memory order, a chunk at a time. */
  private abstract static class Source {
    final int length;

    Source(int length) {
      this.length = length;
    }

    /** Copies elements [from, from + n) in memory order into {@code dst} as double. */
    abstract void read(int from, int n, double[] dst);

    /** For float arrays: elements [from, from + n) as they are, into the per-thread float scratch; else null. */
    float[] readFloats(int from, int n) {
      return null;
    }

    static Source of(INDArray array) {
      int n = (int) array.length();
      // The buffer's address pointer already points at the buffer's own offset; a view may start further in.
      long position = array.offset() - array.data().offset();
      if (array.dataType() == DataType.FLOAT) {
        FloatBuffer buffer = new FloatPointer(array.data().addressPointer()).position(position).limit(position + n)
            .asBuffer();
        float[] scratch = FLOATS.get();
        return new Source(n) {
          @Override
          void read(int from, int count, double[] dst) {
            buffer.get(from, scratch, 0, count);
            for (int i = 0; i < count; i++) {
              dst[i] = scratch[i];
            }
          }

          @Override
          float[] readFloats(int from, int count) {
            buffer.get(from, scratch, 0, count);
            return scratch;
          }
        };
      }
      DoubleBuffer buffer = new DoublePointer(array.data().addressPointer()).position(position).limit(position + n)
          .asBuffer();
      return new Source(n) {
        @Override
        void read(int from, int count, double[] dst) {
          buffer.get(from, dst, 0, count);
        }
      };
    }
  }

  /** The result of the scan, before scaling. */
  record Result(long finite, double sum, double sumOfSquares, double sumOfMagnitudes, double min, double max,
      double variance, long zeros, long nearZeros, long nan, long posInf, long negInf, long[] histogram,
      long saturated) {}

  static Result scan(INDArray array, double nearZeroThreshold, int bins, Saturation saturation) {
    Source source = Source.of(array);
    double[] chunk = DOUBLES.get();
    double low = saturation == null ? Double.NEGATIVE_INFINITY : saturation.lowThreshold();
    double high = saturation == null ? Double.POSITIVE_INFINITY : saturation.highThreshold();
    double sum = 0;
    double squares = 0;
    double magnitudes = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    long zeros = 0;
    long nearZeros = 0;
    long nan = 0;
    long posInf = 0;
    long negInf = 0;
    long saturatedLow = 0;
    long saturatedHigh = 0;
    for (int from = 0; from < source.length; from += CHUNK) {
      int n = Math.min(CHUNK, source.length - from);
      float[] floats = source.readFloats(from, n);
      if (floats != null && finiteChunk(floats, n)) {
        // The common case, a float chunk with nothing to set aside: no widening copy, counts without branches.
        boolean sat = saturation != null;
        float cmin = Float.POSITIVE_INFINITY;
        float cmax = Float.NEGATIVE_INFINITY;
        double csum = 0;
        double csq = 0;
        double cabs = 0;
        long cz = 0;
        long cnz = 0;
        long cl = 0;
        long ch = 0;
        for (int i = 0; i < n; i++) {
          float v = floats[i];
          float a = Math.abs(v);
          double d = v;
          csum += d;
          csq += d * d;
          cabs += a;
          cmin = v < cmin ? v : cmin;
          cmax = v > cmax ? v : cmax;
          cz += v == 0f ? 1 : 0;
          // Thresholds compared in double, exactly as the general path does.
          cnz += (double) a <= nearZeroThreshold ? 1 : 0;
          if (sat) {
            cl += d <= low ? 1 : 0;
            ch += d >= high ? 1 : 0;
          }
        }
        sum += csum;
        squares += csq;
        magnitudes += cabs;
        min = Math.min(min, cmin);
        max = Math.max(max, cmax);
        zeros += cz;
        nearZeros += cnz;
        saturatedLow += cl;
        saturatedHigh += ch;
        continue;
      }
      source.read(from, n, chunk);
      for (int i = 0; i < n; i++) {
        double v = chunk[i];
        double a = Math.abs(v);
        if (!(a <= Double.MAX_VALUE)) { // NaN or an infinity
          if (v != v) {
            nan++;
          } else if (v > 0) {
            posInf++;
          } else {
            negInf++;
          }
          continue;
        }
        sum += v;
        squares += v * v;
        magnitudes += a;
        min = Math.min(min, v);
        max = Math.max(max, v);
        if (v == 0) {
          zeros++;
        }
        if (a <= nearZeroThreshold) {
          nearZeros++;
        }
        if (v <= low) {
          saturatedLow++;
        }
        if (v >= high) {
          saturatedHigh++;
        }
      }
    }
    long finite = source.length - nan - posInf - negInf;
    if (finite == 0) {
      return new Result(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, 0, nan, posInf,
          negInf, null, 0);
    }
    double mean = sum / finite;
    double variance = squares / finite - mean * mean;
    long[] histogram = bins > 0 ? new long[bins] : null;
    // Double sums keep the one-pass variance to ~1e-16 relative to mean²; the second pass is taken anyway for the
    // histogram, or when the spread is that small next to the mean (batch-norm gamma near 1).
    boolean exactVariance = !(variance > 1e-9 * mean * mean);
    if (histogram != null || exactVariance) {
      double deviations = 0;
      double width = max - min;
      for (int from = 0; from < source.length; from += CHUNK) {
        int n = Math.min(CHUNK, source.length - from);
        source.read(from, n, chunk);
        for (int i = 0; i < n; i++) {
          double v = chunk[i];
          if (!(Math.abs(v) <= Double.MAX_VALUE)) {
            continue;
          }
          double d = v - mean;
          deviations += d * d;
          if (histogram != null) {
            // Equal-width bins between min and max, the last one closed (as ND4J's histogram op).
            int bin = width == 0 ? 0 : (int) ((v - min) / width * bins);
            histogram[Math.min(bin, bins - 1)]++;
          }
        }
      }
      variance = deviations / finite;
    }
    return new Result(finite, sum, squares, magnitudes, min, max, Math.max(0.0, variance), zeros, nearZeros, nan,
        posInf, negInf, histogram, saturatedLow + saturatedHigh);
  }

  /** Whether a chunk holds only finite values (checked apart so the statistics loop needs no such branch). */
  private static boolean finiteChunk(float[] values, int n) {
    float acc = 0f;
    for (int i = 0; i < n; i++) {
      acc += values[i] * 0f; // NaN for NaN or an infinity, else 0
    }
    return acc == 0f;
  }

  /**
   * Per unit of axis 1 (a dense layer's neuron, a convolution's channel): the fraction of elements above 0 and
   * the mean, over the batch (axis 0) and any spatial axes. In a dense layout the index along axis 1 is
   * constant over runs of {@code stride(1)} consecutive elements, so the scan adds whole runs at a time.
   */
  static float[][] perUnit(INDArray array) {
    Source source = Source.of(array);
    int units = (int) array.size(1);
    long run = array.stride(1);
    double[] positives = new double[units];
    double[] sums = new double[units];
    double[] chunk = DOUBLES.get();
    for (int from = 0; from < source.length; from += CHUNK) {
      int n = Math.min(CHUNK, source.length - from);
      source.read(from, n, chunk);
      for (int i = 0; i < n; i++) {
        long k = from + i;
        int unit = (int) ((k / run) % units);
        double v = chunk[i];
        sums[unit] += v;
        if (v > 0) {
          positives[unit]++;
        }
      }
    }
    double perUnit = (double) source.length / units;
    float[] firing = new float[units];
    float[] means = new float[units];
    for (int u = 0; u < units; u++) {
      firing[u] = (float) (positives[u] / perUnit);
      means[u] = (float) (sums[u] / perUnit);
    }
    return new float[][] {firing, means};
  }
}
