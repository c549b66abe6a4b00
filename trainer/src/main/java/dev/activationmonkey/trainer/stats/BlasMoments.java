package dev.activationmonkey.trainer.stats;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.blas.Level1;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.same.AMin;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Sum, sum of squares, sum of magnitudes and the elements of largest and smallest magnitude of an array, by
 * BLAS level-1 calls ({@code dot}, {@code asum}, {@code iamax}) on a flat view of the array
 * DL4J holds. Each call is one native pass with almost no fixed cost; the sum is a dot product with a
 * cached vector of ones (one per thread and data type, grown on demand, never copied from).
 *
 * <p>Sums accumulate in the array's precision (float for float arrays): relative error around 1e-6 to 1e-5,
 * well inside what a training monitor needs; callers handle the variance's cancellation case.
 */
record BlasMoments(INDArray flat, double sum, double sumOfSquares, double sumOfMagnitudes, double largestMagnitude,
    double smallestMagnitude) {

  private static final ThreadLocal<Map<DataType, Ones>> ONES = ThreadLocal.withInitial(HashMap::new);
  /** Arrays at least this long get the min |x| test before counting. */
  static final long LARGE = 32_768;

  /** Float and double arrays only: BLAS has no half-precision routines. */
  static boolean supports(INDArray array) {
    DataType t = array.dataType();
    return (t == DataType.FLOAT || t == DataType.DOUBLE) && array.length() > 0 && array.length() < Integer.MAX_VALUE;
  }

  /** The sums and extremes, or null if any element is NaN or infinite or a sum overflowed. */
  static BlasMoments of(INDArray array) {
    long n = array.length();
    // A view for any array DL4J hands a listener (contiguous, either order); ND4J copies only a strided one.
    INDArray flat = array.reshape(array.ordering(), new long[] {n});
    Level1 blas = Nd4j.getBlasWrapper().level1();
    double sum = blas.dot(n, 1.0, flat, ONES.get().computeIfAbsent(flat.dataType(), Ones::new).of(n));
    double squares = blas.dot(n, 1.0, flat, flat);
    double magnitudes = blas.asum(flat);
    if (!Double.isFinite(sum) || !Double.isFinite(squares) || !Double.isFinite(magnitudes)) {
      return null;
    }
    double largest = flat.getDouble(blas.iamax(flat));
    double smallest = smallestMagnitude(flat);
    return new BlasMoments(flat, sum, squares, magnitudes, largest, smallest);
  }

  /**
   * min |x|, or 0 meaning "count them". ND4J's CPU BLAS has no iamin, so this is one ND4J reduction; it pays only
   * on large arrays, where it lets the caller skip the zero and near-zero counts (the near-zero condition op costs
   * about four ordinary passes) whenever nothing is that small, as for most weight matrices.
   */
  private static double smallestMagnitude(INDArray flat) {
    return flat.length() < LARGE ? 0.0 : Nd4j.getExecutioner().exec(new AMin(flat)).getDouble(0);
  }

  /** A per-thread vector of ones and views of it by length (a listener sees a handful of lengths). */
  private static final class Ones {
    private final DataType type;
    private INDArray ones;
    private final Map<Long, INDArray> views = new HashMap<>();

    Ones(DataType type) {
      this.type = type;
    }

    INDArray of(long n) {
      if (ones == null || ones.length() < n) {
        try (var ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
          ones = Nd4j.ones(type, Math.max(n, ones == null ? 0 : 2 * ones.length()));
        }
        views.clear();
      }
      return views.computeIfAbsent(n, k -> k == ones.length() ? ones : ones.get(NDArrayIndex.interval(0, k)));
    }
  }
}
