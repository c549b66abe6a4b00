package dev.activationmonkey.trainer.stats;

import java.nio.FloatBuffer;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A dense output layer's activations, activation(input · W + b), computed in Java for float arrays and the output
 * activations networks end in. DL4J does not hand a listener the output layer's activations, so they are
 * recomputed; the matrices are small (batch × fan-in × classes), and here that costs a few dozen µs where the same
 * ND4J ops (matrix product, broadcast add, activation, each with its own allocation) took ~0.75 ms per step.
 */
public final class DenseOutput {
  /** Activations computed here; others return null from {@link #compute} and the caller uses ND4J. */
  public static final Set<String> ACTIVATIONS = Set.of("softmax", "identity", "sigmoid", "tanh");

  private DenseOutput() {}

  /**
   * activation(input · w + b) as a new [batch, units] float array outside workspaces, or null if this class does not
   * handle the case (a type other than float, a layout other than dense, an activation not in {@link #ACTIVATIONS}).
   *
   * @param input [batch, fanIn]
   * @param w [fanIn, units]
   * @param b [units] or [1, units]
   * @param activation the activation's lower-case DL4J name
   */
  public static INDArray compute(INDArray input, INDArray w, INDArray b, String activation) {
    if (!ACTIVATIONS.contains(activation) || !floatMatrix(input) || !floatMatrix(w) || !dense(b)
        || b.dataType() != DataType.FLOAT || input.size(1) != w.size(0) || b.length() != w.size(1)) {
      return null;
    }
    int rows = (int) input.size(0);
    int inner = (int) input.size(1);
    int cols = (int) w.size(1);
    FloatBuffer x = DirectScan.floats(input);
    FloatBuffer wb = DirectScan.floats(w);
    FloatBuffer bb = DirectScan.floats(b);
    long xr = input.stride(0);
    long xc = input.stride(1);
    long wr = w.stride(0);
    long wc = w.stride(1);
    float[] out = new float[rows * cols];
    double[] z = new double[cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        z[j] = bb.get(j);
      }
      for (int k = 0; k < inner; k++) {
        double xik = x.get((int) (i * xr + k * xc));
        int wk = (int) (k * wr);
        for (int j = 0; j < cols; j++) {
          z[j] += xik * wb.get((int) (wk + j * wc));
        }
      }
      activate(activation, z, out, i * cols);
    }
    try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      return Nd4j.create(out, new long[] {rows, cols}, 'c');
    }
  }

  private static void activate(String activation, double[] z, float[] out, int at) {
    int n = z.length;
    switch (activation) {
      case "softmax" -> {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
          max = Math.max(max, v);
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
          z[j] = Math.exp(z[j] - max);
          sum += z[j];
        }
        for (int j = 0; j < n; j++) {
          out[at + j] = (float) (z[j] / sum);
        }
      }
      case "sigmoid" -> {
        for (int j = 0; j < n; j++) {
          out[at + j] = (float) (1 / (1 + Math.exp(-z[j])));
        }
      }
      case "tanh" -> {
        for (int j = 0; j < n; j++) {
          out[at + j] = (float) Math.tanh(z[j]);
        }
      }
      default -> { // identity
        for (int j = 0; j < n; j++) {
          out[at + j] = (float) z[j];
        }
      }
    }
  }

  private static boolean floatMatrix(INDArray a) {
    return a.rank() == 2 && a.dataType() == DataType.FLOAT && dense(a);
  }

  private static boolean dense(INDArray a) {
    return DirectScan.supports(a);
  }
}
