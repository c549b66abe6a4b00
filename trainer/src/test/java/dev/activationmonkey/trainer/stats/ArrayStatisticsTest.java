package dev.activationmonkey.trainer.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The listener's statistics against an independent computation: plain Java over a copy of the values,
 * written from the definitions in the snapshot schema, not from the ND4J code under test.
 */
class ArrayStatisticsTest {
  private static final StatsOptions ALL = new StatsOptions(10, true, 2, 1000, 1e-3);

  /** Plain-Java reference over the finite values, straight from the definitions. */
  record Reference(long count, double mean, double std, double min, double max, double meanAbs, double l2,
      double zeroFraction, double nearZeroFraction, long nan, long posInf, long negInf, long[] histogram) {

    static Reference of(float[] values, double threshold, int bins) {
      long nan = 0;
      long posInf = 0;
      long negInf = 0;
      double sum = 0;
      double sumAbs = 0;
      double sumSquares = 0;
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      long zeros = 0;
      long nearZeros = 0;
      long n = 0;
      for (float value : values) {
        if (Float.isNaN(value)) {
          nan++;
        } else if (value == Float.POSITIVE_INFINITY) {
          posInf++;
        } else if (value == Float.NEGATIVE_INFINITY) {
          negInf++;
        } else {
          n++;
          sum += value;
          sumAbs += Math.abs(value);
          sumSquares += (double) value * value;
          min = Math.min(min, value);
          max = Math.max(max, value);
          if (value == 0) {
            zeros++;
          }
          if (Math.abs(value) <= threshold) {
            nearZeros++;
          }
        }
      }
      double mean = sum / n;
      double squaredDeviations = 0;
      for (float value : values) {
        if (Float.isFinite(value)) {
          squaredDeviations += (value - mean) * (value - mean);
        }
      }
      long[] histogram = new long[bins];
      for (float value : values) {
        if (Float.isFinite(value)) {
          // The documented rule: bin = floor((x - min) * (bins / (max - min))), the last bin closed.
          int bin = max == min ? 0 : (int) Math.floor((value - min) * (bins / (max - min)));
          histogram[Math.min(bin, bins - 1)]++;
        }
      }
      return new Reference(values.length, mean, Math.sqrt(squaredDeviations / n), min, max, sumAbs / n,
          Math.sqrt(sumSquares), (double) zeros / values.length, (double) nearZeros / values.length, nan, posInf,
          negInf, histogram);
    }
  }

  private static void assertMatches(Reference expected, ArrayStats actual) {
    double tolerance = 1e-4;
    assertEquals(expected.count(), actual.count(), "count");
    assertEquals(expected.mean(), actual.mean(), tolerance * Math.max(1, Math.abs(expected.mean())), "mean");
    assertEquals(expected.std(), actual.std(), tolerance * Math.max(1, expected.std()), "std");
    assertEquals(expected.min(), actual.min(), 1e-6, "min");
    assertEquals(expected.max(), actual.max(), 1e-6, "max");
    assertEquals(expected.meanAbs(), actual.meanAbs(), tolerance * Math.max(1, expected.meanAbs()), "meanAbs");
    assertEquals(expected.l2(), actual.l2Norm(), tolerance * Math.max(1, expected.l2()), "l2");
    assertEquals(expected.zeroFraction(), actual.zeroFraction(), 1e-12, "zeroFraction");
    assertEquals(expected.nearZeroFraction(), actual.nearZeroFraction(), 1e-12, "nearZeroFraction");
    assertEquals(expected.nan(), actual.nanCount(), "nan");
    assertEquals(expected.posInf(), actual.posInfCount(), "+inf");
    assertEquals(expected.negInf(), actual.negInfCount(), "-inf");
  }

  @Test
  void randomDenseActivationsMatchPlainJava() {
    Random random = new Random(7);
    int rows = 16;
    int cols = 12;
    float[] values = new float[rows * cols];
    for (int i = 0; i < values.length; i++) {
      // ReLU-like: a third exact zeros, some tiny values, the rest spread out.
      double u = random.nextDouble();
      values[i] = u < 0.33 ? 0f : u < 0.4 ? (float) (random.nextGaussian() * 1e-4) : (float) (random.nextGaussian() * 3 + 1);
    }
    INDArray array = Nd4j.createFromArray(values).reshape(rows, cols);
    ArrayStats stats = ArrayStatistics.compute(array, ALL, null, true);
    Reference expected = Reference.of(values, 1e-3, 10);
    assertMatches(expected, stats);
    assertArrayEquals(expected.histogram(), stats.histogramCounts(), "histogram counts");
    assertEquals(11, stats.histogramEdges().length);
    assertEquals(expected.min(), stats.histogramEdges()[0], 1e-6);
    assertEquals(expected.max(), stats.histogramEdges()[10], 1e-6);

    // Per neuron: share of examples with activation > 0, and the mean over the batch.
    float[] firing = new float[cols];
    float[] means = new float[cols];
    for (int c = 0; c < cols; c++) {
      int positive = 0;
      double sum = 0;
      for (int r = 0; r < rows; r++) {
        float v = values[r * cols + c];
        positive += v > 0 ? 1 : 0;
        sum += v;
      }
      firing[c] = (float) positive / rows;
      means[c] = (float) (sum / rows);
    }
    assertEquals(rows, stats.examples());
    assertTrue(!stats.perChannel());
    assertArrayEquals(firing, stats.firingRate(), 1e-6f);
    assertArrayEquals(means, stats.meanActivation(), 1e-4f);

    // Sample: the first two examples, row-major.
    assertArrayEquals(new int[] {2, cols}, stats.sampleShape());
    float[] firstTwo = new float[2 * cols];
    System.arraycopy(values, 0, firstTwo, 0, firstTwo.length);
    assertArrayEquals(firstTwo, stats.sampleValues());
  }

  @Test
  void nanAndInfinitiesAreCountedAndLeftOutOfTheMoments() {
    float[] values = {1f, Float.NaN, -2f, Float.POSITIVE_INFINITY, 0f, 3.5f, Float.NEGATIVE_INFINITY,
        Float.NEGATIVE_INFINITY, Float.NaN, 0.0005f};
    ArrayStats stats = ArrayStatistics.compute(Nd4j.createFromArray(values).reshape(2, 5), ALL, null, false);
    Reference expected = Reference.of(values, 1e-3, 10);
    assertEquals(2, expected.nan());
    assertMatches(expected, stats);
    assertArrayEquals(expected.histogram(), stats.histogramCounts());
    assertNull(stats.firingRate(), "no neuron vectors for a non-activation array");
  }

  @Test
  void allZeroLayer() {
    float[] values = new float[8 * 4];
    ArrayStats stats = ArrayStatistics.compute(Nd4j.createFromArray(values).reshape(8, 4), ALL, null, true);
    Reference expected = Reference.of(values, 1e-3, 10);
    assertMatches(expected, stats);
    assertEquals(1.0, stats.zeroFraction());
    assertArrayEquals(new float[4], stats.firingRate(), "a dead layer fires never");
    assertEquals(values.length, java.util.Arrays.stream(stats.histogramCounts()).sum());
  }

  @Test
  void singleElement() {
    float[] values = {-0.75f};
    ArrayStats stats = ArrayStatistics.compute(Nd4j.createFromArray(values).reshape(1, 1), ALL, null, true);
    assertMatches(Reference.of(values, 1e-3, 10), stats);
    assertEquals(0.0, stats.std());
    assertArrayEquals(new float[] {0f}, stats.firingRate());
    assertArrayEquals(new float[] {-0.75f}, stats.meanActivation());
  }

  @Test
  void onlyNonFiniteValues() {
    float[] values = {Float.NaN, Float.POSITIVE_INFINITY};
    ArrayStats stats = ArrayStatistics.compute(Nd4j.createFromArray(values), ALL, null, false);
    assertEquals(1, stats.nanCount());
    assertEquals(1, stats.posInfCount());
    assertTrue(Double.isNaN(stats.mean()));
  }

  @Test
  void convolutionActivationsArePerChannel() {
    Random random = new Random(3);
    int batch = 3;
    int channels = 4;
    int spatial = 5 * 5;
    float[] values = new float[batch * channels * spatial];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    ArrayStats stats = ArrayStatistics.compute(
        Nd4j.createFromArray(values).reshape(batch, channels, 5, 5), ALL, null, true);
    assertTrue(stats.perChannel());
    float[] firing = new float[channels];
    for (int b = 0; b < batch; b++) {
      for (int c = 0; c < channels; c++) {
        for (int s = 0; s < spatial; s++) {
          firing[c] += values[(b * channels + c) * spatial + s] > 0 ? 1 : 0;
        }
      }
    }
    for (int c = 0; c < channels; c++) {
      firing[c] /= batch * spatial;
    }
    assertArrayEquals(firing, stats.firingRate(), 1e-6f);
    assertMatches(Reference.of(values, 1e-3, 10), stats);
    // One example of 100 values fits a cap of 1000 ten times; k = 2 examples are sampled.
    assertArrayEquals(new int[] {2, channels, 5, 5}, stats.sampleShape());
  }

  @Test
  void saturatedFractionOfSigmoidAndTanh() {
    float[] sigmoid = {0.01f, 0.5f, 0.97f, 0.3f, 0.04f, 0.951f};
    ArrayStats s = ArrayStatistics.compute(Nd4j.createFromArray(sigmoid).reshape(2, 3), ALL, Saturation.UNIT, true);
    long expected = 0;
    for (float v : sigmoid) {
      expected += (v <= 0.05 || v >= 0.95) ? 1 : 0;
    }
    assertEquals((double) expected / sigmoid.length, s.saturatedFraction(), 1e-12);

    float[] tanh = {-0.99f, 0.2f, 0.95f, -0.5f};
    ArrayStats t = ArrayStatistics.compute(Nd4j.createFromArray(tanh).reshape(2, 2), ALL, Saturation.SYMMETRIC, true);
    assertEquals(2.0 / 4, t.saturatedFraction(), 1e-12);
  }

  @Test
  void sampleIsCappedByMaxValues() {
    INDArray array = Nd4j.rand(10, 30);
    ArrayStats stats = ArrayStatistics.compute(array, new StatsOptions(0, false, 8, 100, 0), null, true);
    assertArrayEquals(new int[] {3, 30}, stats.sampleShape(), "100 values hold 3 examples of 30");
    assertNull(stats.histogramCounts());
    assertNull(stats.firingRate());
  }

  /** DL4J's W and b are 'f'-ordered views at an offset inside one flat parameter (or gradient) buffer. */
  @Test
  void viewsInsideAFlatBufferMatchPlainJava() {
    Random random = new Random(11);
    int rows = 300;
    int cols = 70;
    float[] flat = new float[17 + rows * cols + 9];
    for (int i = 0; i < flat.length; i++) {
      double u = random.nextDouble();
      // Exact zeros (dead inputs), tiny values, and a spread: every counting path is taken.
      flat[i] = u < 0.2 ? 0f : u < 0.25 ? (float) (random.nextGaussian() * 1e-7) : (float) (random.nextGaussian() * 0.05);
    }
    INDArray buffer = Nd4j.createFromArray(flat).reshape(1, flat.length);
    INDArray w = buffer.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
        org.nd4j.linalg.indexing.NDArrayIndex.interval(17, 17 + rows * cols)).reshape('f', rows, cols);
    float[] values = new float[rows * cols];
    System.arraycopy(flat, 17, values, 0, values.length);
    ArrayStats stats = ArrayStatistics.compute(w, new StatsOptions(10, false, 0, 0, 1e-6), null, false);
    Reference expected = Reference.of(values, 1e-6, 10);
    assertMatches(expected, stats);
    assertArrayEquals(expected.histogram(), stats.histogramCounts());
  }

  /**
   * The same activations as an 'f'-ordered view at an offset, as doubles, and as a strided (non-dense) view that
   * cannot be scanned in memory order: every layout gives the plain-Java statistics and per-neuron vectors.
   */
  @Test
  void everyLayoutAndTypeGivesTheSameStatisticsAndNeuronVectors() {
    Random random = new Random(5);
    int rows = 40;
    int cols = 9;
    float[] values = new float[rows * cols]; // row-major [rows, cols]
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextDouble() < 0.3 ? 0f : (float) random.nextGaussian();
    }
    float[] firing = new float[cols];
    float[] means = new float[cols];
    for (int c = 0; c < cols; c++) {
      double sum = 0;
      int positive = 0;
      for (int r = 0; r < rows; r++) {
        sum += values[r * cols + c];
        positive += values[r * cols + c] > 0 ? 1 : 0;
      }
      firing[c] = (float) positive / rows;
      means[c] = (float) (sum / rows);
    }
    // 'f' order at offset 5 of a larger buffer: column c of row r at 5 + c * rows + r.
    float[] flat = new float[5 + values.length + 3];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        flat[5 + c * rows + r] = values[r * cols + c];
      }
    }
    INDArray fView = Nd4j.createFromArray(flat).reshape(1, flat.length)
        .get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
            org.nd4j.linalg.indexing.NDArrayIndex.interval(5, 5 + values.length)).reshape('f', rows, cols);
    INDArray doubles = Nd4j.createFromArray(values).reshape(rows, cols).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
    // Every second column of a wider array: strided, not dense.
    float[] wide = new float[rows * cols * 2];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        wide[r * cols * 2 + 2 * c] = values[r * cols + c];
        wide[r * cols * 2 + 2 * c + 1] = Float.NaN; // never read
      }
    }
    INDArray strided = Nd4j.createFromArray(wide).reshape(rows, 2 * cols).get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
        org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2, 2 * cols));
    Reference expected = Reference.of(values, 1e-3, 10);
    for (INDArray array : new INDArray[] {fView, doubles, strided}) {
      ArrayStats stats = ArrayStatistics.compute(array, new StatsOptions(10, true, 0, 0, 1e-3), null, true);
      String what = array.ordering() + " " + array.dataType() + " " + java.util.Arrays.toString(array.stride());
      assertMatches(expected, stats);
      assertArrayEquals(expected.histogram(), stats.histogramCounts(), what);
      assertArrayEquals(firing, stats.firingRate(), 1e-6f, what);
      assertArrayEquals(means, stats.meanActivation(), 1e-5f, what);
    }
  }

  @Test
  void arrayWithoutZerosSkipsNothingItShouldCount() {
    float[] values = {0.5f, -0.25f, 2e-7f, 3f, -1e-7f, 0.125f};
    ArrayStats stats = ArrayStatistics.compute(Nd4j.createFromArray(values).reshape(2, 3),
        new StatsOptions(4, false, 0, 0, 1e-6), null, false);
    assertMatches(Reference.of(values, 1e-6, 4), stats);
    assertEquals(2.0 / 6, stats.nearZeroFraction(), 1e-12);
    assertEquals(0.0, stats.zeroFraction());
  }

  @Test
  void smallSpreadNextToTheMeanKeepsItsStandardDeviation() {
    Random random = new Random(5);
    float[] values = new float[5000];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (1000 + random.nextGaussian() * 0.01);
    }
    ArrayStats stats = ArrayStatistics.compute(Nd4j.createFromArray(values), StatsOptions.momentsOnly(0), null, false);
    assertEquals(Reference.of(values, 0, 1).std(), stats.std(), 1e-4);
  }

  /** Scaled statistics (the gradient of the mean loss from DL4J's summed gradient) equal those of the product. */
  @Test
  void scaledStatisticsEqualThoseOfTheScaledArray() {
    Random random = new Random(9);
    float[] values = new float[64 * 20];
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextDouble() < 0.3 ? 0f : (float) (random.nextGaussian() * 1e-4);
    }
    double scale = 1.0 / 64;
    float[] scaledValues = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      scaledValues[i] = (float) (values[i] * scale);
    }
    StatsOptions options = new StatsOptions(8, false, 0, 0, 1e-6);
    ArrayStats stats = ArrayStatistics.compute(Nd4j.createFromArray(values).reshape(64, 20), options, null, false, scale);
    Reference expected = Reference.of(scaledValues, 1e-6, 8);
    assertMatches(expected, stats);
    assertArrayEquals(expected.histogram(), stats.histogramCounts());
    assertEquals(expected.max(), stats.histogramEdges()[8], 1e-9);
    assertEquals(1e-6, stats.nearZeroThreshold(), "the threshold is reported as configured");
  }

  /** Large arrays test min |x| first and count only if something is that small: both outcomes. */
  @Test
  void largeArraysWithAndWithoutNearZeroValues() {
    Random random = new Random(13);
    float[] away = new float[300 * 200];
    for (int i = 0; i < away.length; i++) {
      float v = (float) (random.nextGaussian() * 0.1);
      away[i] = Math.abs(v) < 1e-4f ? 1e-4f : v;
    }
    StatsOptions options = new StatsOptions(0, false, 0, 0, 1e-6);
    ArrayStats none = ArrayStatistics.compute(Nd4j.createFromArray(away).reshape(300, 200), options, null, false);
    assertMatches(Reference.of(away, 1e-6, 1), none);
    assertEquals(0.0, none.nearZeroFraction());

    float[] some = away.clone();
    for (int i = 0; i < some.length; i += 7) {
      some[i] = i % 2 == 0 ? 0f : 5e-7f;
    }
    ArrayStats counted = ArrayStatistics.compute(Nd4j.createFromArray(some).reshape(300, 200), options, null, false);
    assertMatches(Reference.of(some, 1e-6, 1), counted);
    assertTrue(counted.zeroFraction() > 0 && counted.nearZeroFraction() > counted.zeroFraction());
  }
}
