package dev.activationmonkey.trainer.listener;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A recurrent layer's activations as one row per (example, time step) and one column per unit, with the masked time
 * steps left out: the per-unit firing rate and mean are then over batch and time, over the steps that exist.
 */
final class RecurrentActivations {
  private RecurrentActivations() {}

  /**
   * @param activations {@code [batch, units, time]}, or {@code [batch, time, units]} when {@code timeMajor}
   * @param mask DL4J's {@code [batch, time]} mask (1 = the step exists), the same as the {@code [batch * time, 1]} column
   *     an RnnOutputLayer keeps, or null
   * @return a new {@code [steps, units]} array outside every workspace
   */
  static INDArray flatten(INDArray activations, INDArray mask, boolean timeMajor) {
    try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      INDArray steps = timeMajor ? activations : activations.permute(0, 2, 1);
      long batch = steps.size(0);
      long time = steps.size(1);
      long units = steps.size(2);
      INDArray flat = steps.dup('c').reshape('c', batch * time, units);
      if (mask != null && mask.rank() == 2 && mask.size(1) == 1 && mask.size(0) == batch * time && time > 1) {
        // A recurrent output layer keeps its labels mask as DL4J's per-step column vector (example fastest).
        mask = mask.dup('f').reshape('f', batch, time);
      }
      if (mask == null || mask.rank() != 2 || mask.size(0) != batch || mask.size(1) != time) {
        return flat;
      }
      double[] present = mask.castTo(DataType.DOUBLE).dup('c').reshape(batch * time).toDoubleVector();
      int kept = 0;
      int[] rows = new int[present.length];
      for (int i = 0; i < present.length; i++) {
        if (present[i] != 0) {
          rows[kept++] = i;
        }
      }
      if (kept == present.length) {
        return flat;
      }
      if (kept == 0) {
        return Nd4j.create(flat.dataType(), 0, units);
      }
      return flat.getRows(java.util.Arrays.copyOf(rows, kept)).dup('c');
    }
  }
}
