package dev.activationmonkey.trainer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class PermutationTest {
  @Test
  void isABijectionOnItsRangeForAnySize() {
    for (long n : new long[] {1, 2, 3, 7, 64, 1000, 9001, 65_537}) {
      Permutation p = new Permutation(n, 42);
      BitSet seen = new BitSet();
      for (long i = 0; i < n; i++) {
        long position = p.apply(i);
        assertEquals(false, seen.get((int) position), "position " + position + " twice for n=" + n);
        seen.set((int) position);
      }
      assertEquals(n, seen.cardinality());
    }
  }

  @Test
  void dependsOnTheSeedAndShuffles() {
    Permutation a = new Permutation(1000, 1);
    Permutation b = new Permutation(1000, 2);
    int same = 0;
    int fixed = 0;
    for (int i = 0; i < 1000; i++) {
      same += a.apply(i) == b.apply(i) ? 1 : 0;
      fixed += a.apply(i) == i ? 1 : 0;
    }
    assertNotEquals(1000, same);
    // A random permutation fixes about one element; the identity would fix all.
    assertEquals(true, fixed < 20, "fixed points: " + fixed);
  }

  @Test
  void aShardTrainsEveryExampleOnceAnEpochInAnOrderThatChangesPerEpoch() {
    int n = 203;
    float[][] features = new float[n][1];
    for (int i = 0; i < n; i++) {
      features[i][0] = i;
    }
    Shard shard = Shard.ofExamples(1, new DataSet(Nd4j.create(features), Nd4j.ones(n, 2)));
    assertEquals(13, shard.batchesPerEpoch(16), "12 full batches and one of 11");
    List<List<Float>> orders = new ArrayList<>();
    for (int epoch = 0; epoch < 2; epoch++) {
      List<Float> order = new ArrayList<>();
      // Batches asked for in rounds of 5, as the averaging engine does: same as all at once.
      for (int from = 0; from < 13; from += 5) {
        for (DataSet b : shard.batches(epoch, 7, 16, from, from + 5)) {
          for (float v : b.getFeatures().toFloatVector()) {
            order.add(v);
          }
        }
      }
      assertEquals(n, order.size());
      assertEquals(n, order.stream().distinct().count(), "every example exactly once in epoch " + epoch);
      orders.add(order);
    }
    assertNotEquals(orders.get(0), orders.get(1), "each epoch shuffles anew");
    List<Float> again = new ArrayList<>();
    shard.batches(0, 7, 16, 0, 13).forEach(b -> {
      for (float v : b.getFeatures().toFloatVector()) {
        again.add(v);
      }
    });
    assertEquals(orders.get(0), again, "a retried task trains the same batches");
  }
}
