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
 * min, max, zero / near-zero / saturation counts, NaN and infinities; the second pass bins the histogram (and takes
 * the exact squared deviations from the mean where the one-pass variance would lose precision). Per-neuron (per-channel) firing rate and mean activation
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

  /**
   * Whether the first pass runs on the JDK's vector API ({@link VectorMoments}): when the JVM was started with
   * {@code --add-modules jdk.incubator.vector} (the launcher, the tests and the documented Spark options do) and
   * {@code -Dmonkey.stats.vectors=false} does not turn it off.
   */
  static final boolean VECTORS = vectorsAvailable();

  private DirectScan() {}

  private static boolean vectorsAvailable() {
    if (!Boolean.parseBoolean(System.getProperty("monkey.stats.vectors", "true"))
        || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return false;
    }
    try {
      return VectorMoments.usable();
    } catch (LinkageError | RuntimeException e) {
      return false; // a JVM whose vector module does not work here: the scalar loop
    }
  }

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
      long position = firstElement(array);
      if (array.dataType() == DataType.FLOAT) {
        FloatBuffer buffer = floats(array);
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

  /**
   * Where the array's first element lies, in elements from its buffer's address pointer: that pointer already points
   * at the buffer's own offset, and a view may start further in.
   */
  static long firstElement(INDArray array) {
    return array.offset() - array.data().offset();
  }

  /** A float array's elements in memory order, over its native memory (no copy). */
  static FloatBuffer floats(INDArray array) {
    int n = (int) array.length();
    long position = firstElement(array);
    return new FloatPointer(array.data().addressPointer()).position(position).limit(position + n).asBuffer();
  }

  /** The result of the scan, before scaling. */
  record Result(long finite, double sum, double sumOfSquares, double sumOfMagnitudes, double min, double max,
      double variance, long zeros, long nearZeros, long nan, long posInf, long negInf, long[] histogram,
      long saturated) {}

  /** Running totals of the first pass, shared by the float fast paths and the general path. */
  static final class Totals {
    double sum;
    double squares;
    double magnitudes;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    long zeros;
    long nearZeros;
    long nan;
    long posInf;
    long negInf;
    long saturated;

    /**
     * Adds a float chunk's results from a fast path, or returns false, adding nothing, if its sums are not finite
     * (the chunk holds a NaN or an infinity: finite floats cannot overflow double sums).
     */
    boolean addFiniteChunk(double chunkSum, double chunkSquares, double chunkMagnitudes, double chunkMin,
        double chunkMax, long chunkZeros, long chunkNearZeros, long chunkSaturated) {
      if (!Double.isFinite(chunkSum) || !Double.isFinite(chunkSquares)) {
        return false;
      }
      sum += chunkSum;
      squares += chunkSquares;
      magnitudes += chunkMagnitudes;
      min = Math.min(min, chunkMin);
      max = Math.max(max, chunkMax);
      zeros += chunkZeros;
      nearZeros += chunkNearZeros;
      saturated += chunkSaturated;
      return true;
    }
  }

  /**
   * The thresholds as floats that compare exactly like the double thresholds compare a widened float: for every
   * float {@code x}, {@code x <= nearZero} iff {@code (double) x <= threshold}, and likewise for the saturation bounds.
   */
  private record FloatThresholds(float nearZero, float low, float high) {
    static FloatThresholds of(double nearZero, double low, double high) {
      return new FloatThresholds(atMost(nearZero), atMost(low), atLeast(high));
    }

    /** The largest float not above {@code d}. */
    private static float atMost(double d) {
      float f = (float) d;
      return (double) f > d ? Math.nextDown(f) : f;
    }

    /** The smallest float not below {@code d}. */
    private static float atLeast(double d) {
      float f = (float) d;
      return (double) f < d ? Math.nextUp(f) : f;
    }
  }

  static Result scan(INDArray array, double nearZeroThreshold, int bins, Saturation saturation) {
    Source source = Source.of(array);
    double[] chunk = DOUBLES.get();
    double low = saturation == null ? Double.NEGATIVE_INFINITY : saturation.lowThreshold();
    double high = saturation == null ? Double.POSITIVE_INFINITY : saturation.highThreshold();
    FloatThresholds ft = FloatThresholds.of(nearZeroThreshold, low, high);
    Totals t = new Totals();
    for (int from = 0; from < source.length; from += CHUNK) {
      int n = Math.min(CHUNK, source.length - from);
      float[] floats = source.readFloats(from, n);
      // The common case, a float chunk with only finite values: one fused loop without a NaN branch. A NaN or an
      // infinity makes the chunk's double sums non-finite (finite floats cannot overflow them), and then the chunk
      // is taken again by the general loop, which sets such values aside.
      if (floats != null && (saturation != null ? finiteFloatsSaturation(floats, n, ft, t)
          : VECTORS ? VectorMoments.finiteFloats(floats, n, ft.nearZero(), t) : finiteFloats(floats, n, ft.nearZero(), t))) {
        continue;
      }
      source.read(from, n, chunk);
      general(chunk, n, nearZeroThreshold, low, high, t);
    }
    long nonFinite = t.nan + t.posInf + t.negInf;
    long finite = source.length - nonFinite;
    if (finite == 0) {
      return new Result(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, 0, t.nan,
          t.posInf, t.negInf, null, 0);
    }
    double mean = t.sum / finite;
    double variance = t.squares / finite - mean * mean;
    // Double sums keep the one-pass variance to ~1e-16 relative to mean²: a second pass for the exact squared
    // deviations is needed only when the spread is that small next to the mean (batch-norm gamma near 1).
    boolean exactVariance = !(variance > 1e-9 * mean * mean);
    long[] histogram = null;
    if (bins > 0 || exactVariance) {
      double[] second = secondPass(source, chunk, t.min, t.max, mean, bins, exactVariance, nonFinite == 0);
      if (exactVariance) {
        variance = second[bins] / finite;
      }
      if (bins > 0) {
        histogram = new long[bins];
        for (int b = 0; b < bins; b++) {
          histogram[b] = (long) second[b];
        }
      }
    }
    return new Result(finite, t.sum, t.squares, t.magnitudes, t.min, t.max, Math.max(0.0, variance), t.zeros,
        t.nearZeros, t.nan, t.posInf, t.negInf, histogram, t.saturated);
  }

  /**
   * The float fast path without saturation bounds. Two interleaved sets of accumulators halve the chains of
   * dependent floating-point adds (Java may not reorder them itself); counts are branch-free. Returns false, adding
   * nothing, if the chunk holds a NaN or an infinity.
   */
  static boolean finiteFloats(float[] v, int n, float nearZero, Totals t) {
    double s0 = 0;
    double s1 = 0;
    double q0 = 0;
    double q1 = 0;
    double a0 = 0;
    double a1 = 0;
    float min0 = Float.POSITIVE_INFINITY;
    float min1 = Float.POSITIVE_INFINITY;
    float max0 = Float.NEGATIVE_INFINITY;
    float max1 = Float.NEGATIVE_INFINITY;
    int zeros = 0;
    int nearZeros = 0;
    int i = 0;
    for (; i + 1 < n; i += 2) {
      float x = v[i];
      float y = v[i + 1];
      double dx = x;
      double dy = y;
      float ax = Math.abs(x);
      float ay = Math.abs(y);
      s0 += dx;
      s1 += dy;
      q0 += dx * dx;
      q1 += dy * dy;
      a0 += ax;
      a1 += ay;
      min0 = x < min0 ? x : min0;
      min1 = y < min1 ? y : min1;
      max0 = x > max0 ? x : max0;
      max1 = y > max1 ? y : max1;
      zeros += (x == 0f ? 1 : 0) + (y == 0f ? 1 : 0);
      nearZeros += (ax <= nearZero ? 1 : 0) + (ay <= nearZero ? 1 : 0);
    }
    if (i < n) {
      float x = v[i];
      double dx = x;
      s0 += dx;
      q0 += dx * dx;
      a0 += Math.abs(x);
      min0 = Math.min(min0, x);
      max0 = Math.max(max0, x);
      zeros += x == 0f ? 1 : 0;
      nearZeros += Math.abs(x) <= nearZero ? 1 : 0;
    }
    return t.addFiniteChunk(s0 + s1, q0 + q1, a0 + a1, Math.min(min0, min1), Math.max(max0, max1), zeros, nearZeros,
        0);
  }

  /** {@link #finiteFloats} plus the counts at or beyond a bounded activation's saturation thresholds. */
  private static boolean finiteFloatsSaturation(float[] v, int n, FloatThresholds ft, Totals t) {
    double s0 = 0;
    double q0 = 0;
    double a0 = 0;
    float min0 = Float.POSITIVE_INFINITY;
    float max0 = Float.NEGATIVE_INFINITY;
    float nearZero = ft.nearZero();
    float low = ft.low();
    float high = ft.high();
    int zeros = 0;
    int nearZeros = 0;
    int saturated = 0;
    for (int i = 0; i < n; i++) {
      float x = v[i];
      double dx = x;
      float ax = Math.abs(x);
      s0 += dx;
      q0 += dx * dx;
      a0 += ax;
      min0 = x < min0 ? x : min0;
      max0 = x > max0 ? x : max0;
      zeros += x == 0f ? 1 : 0;
      nearZeros += ax <= nearZero ? 1 : 0;
      saturated += (x <= low ? 1 : 0) + (x >= high ? 1 : 0);
    }
    return t.addFiniteChunk(s0, q0, a0, min0, max0, zeros, nearZeros, saturated);
  }

  /** Any chunk, widened to double: NaN and infinities counted and set aside. */
  private static void general(double[] chunk, int n, double nearZeroThreshold, double low, double high, Totals t) {
    for (int i = 0; i < n; i++) {
      double v = chunk[i];
      double a = Math.abs(v);
      if (!(a <= Double.MAX_VALUE)) { // NaN or an infinity
        if (v != v) {
          t.nan++;
        } else if (v > 0) {
          t.posInf++;
        } else {
          t.negInf++;
        }
        continue;
      }
      t.sum += v;
      t.squares += v * v;
      t.magnitudes += a;
      t.min = Math.min(t.min, v);
      t.max = Math.max(t.max, v);
      if (v == 0) {
        t.zeros++;
      }
      if (a <= nearZeroThreshold) {
        t.nearZeros++;
      }
      if (v <= low || v >= high) {
        t.saturated++;
      }
    }
  }

  /**
   * The histogram (equal-width bins between min and max, the last one closed: bin = floor((x - min) * (bins / (max -
   * min))), as the snapshot format documents) and, if asked, the squared deviations from the mean. Returns the bin
   * counts in [0, bins) and the deviations at [bins].
   */
  private static double[] secondPass(Source source, double[] chunk, double min, double max, double mean, int bins,
      boolean deviations, boolean allFinite) {
    double width = max - min;
    double scale = width == 0 ? 0 : bins / width;
    // Four tables in turn, so that runs of equal bins (most values fall in a few middle bins) do not wait on each
    // other's increments; one slot more for x == max, folded into the last bin.
    int[] h0 = new int[Math.max(bins, 1) + 1];
    int[] h1 = new int[Math.max(bins, 1) + 1];
    int[] h2 = new int[Math.max(bins, 1) + 1];
    int[] h3 = new int[Math.max(bins, 1) + 1];
    double squared = 0;
    for (int from = 0; from < source.length; from += CHUNK) {
      int n = Math.min(CHUNK, source.length - from);
      float[] floats = allFinite && !deviations && bins > 0 ? source.readFloats(from, n) : null;
      if (floats != null) {
        int i = 0;
        for (; i + 3 < n; i += 4) {
          h0[(int) ((floats[i] - min) * scale)]++;
          h1[(int) ((floats[i + 1] - min) * scale)]++;
          h2[(int) ((floats[i + 2] - min) * scale)]++;
          h3[(int) ((floats[i + 3] - min) * scale)]++;
        }
        for (; i < n; i++) {
          h0[(int) ((floats[i] - min) * scale)]++;
        }
        continue;
      }
      source.read(from, n, chunk);
      for (int i = 0; i < n; i++) {
        double v = chunk[i];
        if (!(Math.abs(v) <= Double.MAX_VALUE)) {
          continue;
        }
        if (deviations) {
          double d = v - mean;
          squared += d * d;
        }
        if (bins > 0) {
          h0[Math.min((int) ((v - min) * scale), bins)]++;
        }
      }
    }
    double[] out = new double[bins + 1];
    for (int b = 0; b < bins; b++) {
      out[b] = (long) h0[b] + h1[b] + h2[b] + h3[b];
    }
    if (bins > 0) {
      out[bins - 1] += (long) h0[bins] + h1[bins] + h2[bins] + h3[bins];
    }
    out[bins] = squared;
    return out;
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
    // Walk (unit, position within its run) along memory order instead of dividing each element's index.
    int unit = 0;
    long inRun = 0;
    for (int from = 0; from < source.length; from += CHUNK) {
      int n = Math.min(CHUNK, source.length - from);
      source.read(from, n, chunk);
      for (int i = 0; i < n; i++) {
        double v = chunk[i];
        sums[unit] += v;
        positives[unit] += v > 0 ? 1 : 0;
        if (++inRun == run) {
          inRun = 0;
          if (++unit == units) {
            unit = 0;
          }
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
