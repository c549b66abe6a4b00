package dev.activationmonkey.trainer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** Sequences of different lengths batched anew each epoch: padded to the batch's longest, masks for what exists. */
class SequenceShardTest {
  private static final int[] LENGTHS = {3, 7, 2, 5, 4};

  /** Sequence i: feature 0 = i + 1 at every step (to recognise it in a batch), feature 1 = the step number. */
  private static List<DataSet> sequences(boolean lastStep) {
    List<DataSet> out = new ArrayList<>();
    for (int i = 0; i < LENGTHS.length; i++) {
      int time = LENGTHS[i];
      INDArray x = Nd4j.zeros(DataType.FLOAT, 1, 2, time);
      INDArray y = Nd4j.zeros(DataType.FLOAT, 1, 2, time);
      INDArray labelsMask = lastStep ? Nd4j.zeros(DataType.FLOAT, 1, time) : Nd4j.ones(DataType.FLOAT, 1, time);
      for (int t = 0; t < time; t++) {
        x.putScalar(new long[] {0, 0, t}, i + 1);
        x.putScalar(new long[] {0, 1, t}, t);
        y.putScalar(new long[] {0, i % 2, t}, 1);
      }
      if (lastStep) {
        labelsMask.putScalar(0, time - 1, 1);
      }
      out.add(new DataSet(x, y, Nd4j.ones(DataType.FLOAT, 1, time), labelsMask));
    }
    return out;
  }

  @Test
  void everySequenceOncePerEpochWithItsStepsMasked() {
    Shard shard = Shard.ofSequences(1, sequences(false));
    assertEquals(5, shard.examples());
    assertEquals(3, shard.batchesPerEpoch(2));
    for (int epoch = 0; epoch < 2; epoch++) {
      Set<Integer> seen = new HashSet<>();
      for (DataSet batch : shard.batches(epoch, 42, 2, 0, 3)) {
        INDArray x = batch.getFeatures();
        INDArray mask = batch.getFeaturesMaskArray();
        int longest = 0;
        for (int row = 0; row < batch.numExamples(); row++) {
          int id = (int) x.getDouble(row, 0, 0) - 1;
          assertTrue(seen.add(id), "sequence " + id + " twice in epoch " + epoch);
          longest = Math.max(longest, LENGTHS[id]);
          for (int t = 0; t < x.size(2); t++) {
            boolean exists = t < LENGTHS[id];
            assertEquals(exists ? 1.0 : 0.0, mask.getDouble(row, t), "features mask of " + id + " at " + t);
            assertEquals(exists ? 1.0 : 0.0, batch.getLabelsMaskArray().getDouble(row, t), "labels mask");
            assertEquals(exists ? t : 0.0, x.getDouble(row, 1, t), 1e-6, "step " + t + " of " + id);
          }
        }
        assertEquals(longest, x.size(2), "padded to the batch's longest sequence");
        assertEquals(x.size(2), batch.getLabels().size(2));
      }
      assertEquals(5, seen.size());
    }
  }

  @Test
  void lastStepLabelsKeepOnlyEachSequencesLastStep() {
    Shard shard = Shard.ofSequences(0, sequences(true));
    int batches = 0;
    for (DataSet batch : shard.inOrder(3)) {
      batches++;
      for (int row = 0; row < batch.numExamples(); row++) {
        int id = (int) batch.getFeatures().getDouble(row, 0, 0) - 1;
        INDArray labelsMask = batch.getLabelsMaskArray().getRow(row);
        assertEquals(1.0, labelsMask.sumNumber().doubleValue(), "one label counts for " + id);
        assertEquals(1.0, labelsMask.getDouble(LENGTHS[id] - 1), "at its last step");
      }
    }
    assertEquals(2, batches);
  }

  @Test
  void scalingAppliesToEveryStepOfEverySequence() {
    Shard shard = Shard.ofSequences(0, sequences(false));
    INDArray steps = shard.features();
    assertEquals(21, steps.rows(), "one row per time step: 3 + 7 + 2 + 5 + 4");
    Shard scaled = shard.scaled(new FeatureScaling(new float[] {1, 0}, new float[] {0.5f, 2}));
    DataSet second = scaled.inOrder(5).get(0);
    assertEquals((2 - 1) * 0.5, second.getFeatures().getDouble(1, 0, 6), 1e-6);
    assertEquals(6 * 2.0, second.getFeatures().getDouble(1, 1, 6), 1e-6);
    assertEquals(1.0, second.getFeaturesMaskArray().getDouble(1, 6));
  }
}
