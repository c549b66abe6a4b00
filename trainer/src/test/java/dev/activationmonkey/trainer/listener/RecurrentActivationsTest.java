package dev.activationmonkey.trainer.listener;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class RecurrentActivationsTest {
  /** value = 100 * example + 10 * unit + step, so each row says where it came from. */
  private static INDArray ncw(int batch, int units, int time) {
    INDArray a = Nd4j.create(DataType.FLOAT, batch, units, time);
    for (int b = 0; b < batch; b++) {
      for (int u = 0; u < units; u++) {
        for (int t = 0; t < time; t++) {
          a.putScalar(new long[] {b, u, t}, 100 * b + 10 * u + t);
        }
      }
    }
    return a;
  }

  @Test
  void oneRowPerExampleAndStepWithUnitsAsColumns() {
    INDArray flat = RecurrentActivations.flatten(ncw(2, 3, 4), null, false);
    assertArrayEquals(new long[] {8, 3}, flat.shape());
    assertArrayEquals(new float[] {0, 10, 20}, flat.getRow(0).toFloatVector());
    assertArrayEquals(new float[] {3, 13, 23}, flat.getRow(3).toFloatVector());
    assertArrayEquals(new float[] {101, 111, 121}, flat.getRow(5).toFloatVector());
  }

  @Test
  void maskedStepsAreLeftOut() {
    INDArray mask = Nd4j.create(new float[][] {{1, 1, 0, 0}, {1, 1, 1, 0}});
    INDArray flat = RecurrentActivations.flatten(ncw(2, 3, 4), mask, false);
    assertArrayEquals(new long[] {5, 3}, flat.shape());
    assertArrayEquals(new float[] {1, 11, 21}, flat.getRow(1).toFloatVector());
    assertArrayEquals(new float[] {102, 112, 122}, flat.getRow(4).toFloatVector());
  }

  @Test
  void theOutputLayersPerStepColumnMaskIsTheSameMask() {
    INDArray mask = Nd4j.create(new float[][] {{1, 1, 0, 0}, {1, 1, 1, 0}});
    INDArray column = mask.dup('f').reshape('f', 8, 1);
    assertEquals(RecurrentActivations.flatten(ncw(2, 3, 4), mask, false),
        RecurrentActivations.flatten(ncw(2, 3, 4), column, false));
  }

  @Test
  void timeMajorActivationsAndMismatchedOrEmptyMasks() {
    INDArray nwc = ncw(2, 3, 4).permute(0, 2, 1).dup('c');
    assertEquals(RecurrentActivations.flatten(ncw(2, 3, 4), null, false), RecurrentActivations.flatten(nwc, null, true));
    INDArray wrongShape = Nd4j.ones(DataType.FLOAT, 2, 5);
    assertArrayEquals(new long[] {8, 3}, RecurrentActivations.flatten(ncw(2, 3, 4), wrongShape, false).shape());
    assertArrayEquals(new long[] {0, 3},
        RecurrentActivations.flatten(ncw(2, 3, 4), Nd4j.zeros(DataType.FLOAT, 2, 4), false).shape());
  }
}
