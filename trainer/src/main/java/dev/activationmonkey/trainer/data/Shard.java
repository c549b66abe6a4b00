package dev.activationmonkey.trainer.data;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The examples one worker trains on (or evaluates), held in the executor's memory: either single examples, batched
 * anew every epoch in an order shuffled per epoch, or pre-batched DataSets whose order is shuffled per epoch. Every
 * example is in exactly one batch of every epoch; only a worker's last batch may be smaller than the batch size.
 */
public final class Shard implements Serializable {
  private static final long serialVersionUID = 1L;
  private final int worker;
  private final DataSet examples;
  private final List<DataSet> batches;

  private Shard(int worker, DataSet examples, List<DataSet> batches) {
    this.worker = worker;
    this.examples = examples;
    this.batches = batches;
  }

  /** Single examples, as rows of {@code examples} (null when the worker got none). */
  public static Shard ofExamples(int worker, DataSet examples) {
    return new Shard(worker, examples, null);
  }

  /** Pre-batched DataSets, trained as they are. */
  public static Shard ofBatches(int worker, List<DataSet> batches) {
    return new Shard(worker, null, List.copyOf(batches));
  }

  public int worker() {
    return worker;
  }

  public long examples() {
    if (batches != null) {
      return batches.stream().mapToLong(DataSet::numExamples).sum();
    }
    return examples == null ? 0 : examples.numExamples();
  }

  public int batchesPerEpoch(int batchSize) {
    return batches != null ? batches.size() : (int) ((examples() + batchSize - 1) / batchSize);
  }

  /**
   * Batches {@code [from, to)} of epoch {@code epoch}: the worker's examples in an order that depends only on the
   * seed, the epoch and the worker (so a retried task trains the same batches).
   */
  public List<DataSet> batches(int epoch, long seed, int batchSize, int from, int to) {
    int total = batchesPerEpoch(batchSize);
    to = Math.min(to, total);
    List<DataSet> out = new ArrayList<>(Math.max(0, to - from));
    if (from >= to) {
      return out;
    }
    long n = batches != null ? batches.size() : examples.numExamples();
    Permutation order = new Permutation(n, Permutation.mix(seed ^ (0x51ED27L * (epoch + 1)) ^ ((long) worker << 40)));
    if (batches != null) {
      for (int b = from; b < to; b++) {
        out.add(batches.get((int) order.apply(b)));
      }
      return out;
    }
    for (int b = from; b < to; b++) {
      int start = b * batchSize;
      int end = (int) Math.min(n, (long) start + batchSize);
      int[] rows = new int[end - start];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = (int) order.apply(start + i);
      }
      INDArray features = Nd4j.pullRows(examples.getFeatures(), 1, rows);
      INDArray labels = Nd4j.pullRows(examples.getLabels(), 1, rows);
      out.add(new DataSet(features, labels));
    }
    return out;
  }

  /** The features of a single-example shard, one row per example (null otherwise or when empty). */
  INDArray features() {
    return examples == null ? null : examples.getFeatures();
  }

  /** A copy with {@code (x - shift) * factor} applied to every feature. */
  Shard scaled(FeatureScaling scaling) {
    if (examples == null) {
      return this;
    }
    INDArray shift = Nd4j.createFromArray(scaling.shift()).reshape(1, scaling.shift().length);
    INDArray factor = Nd4j.createFromArray(scaling.factor()).reshape(1, scaling.factor().length);
    INDArray features = examples.getFeatures().dup().subiRowVector(shift).muliRowVector(factor);
    return ofExamples(worker, new DataSet(features, examples.getLabels()));
  }

  /** Every example once, in stored order, in batches (evaluation). */
  public List<DataSet> inOrder(int batchSize) {
    if (batches != null) {
      return batches;
    }
    return examples == null ? List.of() : examples.batchBy(batchSize);
  }
}
