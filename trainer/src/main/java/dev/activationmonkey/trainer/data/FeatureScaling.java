package dev.activationmonkey.trainer.data;

import java.io.Serializable;
import org.apache.spark.api.java.JavaRDD;

/**
 * Per-feature {@code (x - shift) * factor}, fitted on the training shards with one aggregation over the executors:
 * {@code standardize} (mean 0, standard deviation 1; constant features are only centred) or {@code min-max}
 * (to [0, 1]; constant features become 0).
 */
record FeatureScaling(float[] shift, float[] factor) implements Serializable {

  /** Null for {@code scale} (applied when the shards are built) and {@code none}. */
  static FeatureScaling fit(String normalize, JavaRDD<Shard> train) {
    if (!normalize.equals("standardize") && !normalize.equals("min-max")) {
      return null;
    }
    Moments m = train.map(Moments::of).reduce(Moments::merge);
    int width = m.sum.length;
    float[] shift = new float[width];
    float[] factor = new float[width];
    for (int j = 0; j < width; j++) {
      if (normalize.equals("standardize")) {
        double mean = m.sum[j] / m.count;
        double variance = Math.max(0, m.sumSquares[j] / m.count - mean * mean);
        double std = Math.sqrt(variance);
        shift[j] = (float) mean;
        factor[j] = std < 1e-6 ? 1f : (float) (1 / std);
      } else {
        double range = m.max[j] - m.min[j];
        shift[j] = (float) m.min[j];
        factor[j] = range < 1e-12 ? 0f : (float) (1 / range);
      }
    }
    return new FeatureScaling(shift, factor);
  }

  /** Count, sums, sums of squares, minima and maxima per feature. */
  record Moments(long count, double[] sum, double[] sumSquares, double[] min, double[] max) implements Serializable {
    static Moments of(Shard shard) {
      org.nd4j.linalg.api.ndarray.INDArray x = shard.features();
      if (x == null) {
        return new Moments(0, new double[0], new double[0], new double[0], new double[0]);
      }
      // Column reductions in ND4J, on the shard's off-heap array (no copy onto the heap).
      org.nd4j.linalg.api.ndarray.INDArray d = x.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE);
      return new Moments(x.rows(), d.sum(0).toDoubleVector(), d.mul(d).sum(0).toDoubleVector(),
          d.min(0).toDoubleVector(), d.max(0).toDoubleVector());
    }

    Moments merge(Moments o) {
      if (count == 0) {
        return o;
      }
      if (o.count == 0) {
        return this;
      }
      for (int j = 0; j < sum.length; j++) {
        sum[j] += o.sum[j];
        sumSquares[j] += o.sumSquares[j];
        min[j] = Math.min(min[j], o.min[j]);
        max[j] = Math.max(max[j], o.max[j]);
      }
      return new Moments(count + o.count, sum, sumSquares, min, max);
    }
  }
}
