package dev.activationmonkey.trainer.data;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The examples one worker trains on (or evaluates), held in the executor's memory: single examples (rows of one
 * DataSet) or single sequences (one DataSet each, of its own length), batched anew every epoch in an order shuffled
 * per epoch, or pre-batched DataSets whose order is shuffled per epoch. Every example is in exactly one batch of every
 * epoch; only a worker's last batch may be smaller than the batch size.
 *
 * <p>A batch of sequences is {@code [batch, features, time]} with {@code time} its longest sequence's length; shorter
 * sequences are padded at the end, and the features mask {@code [batch, time]} marks the steps that exist. Labels are
 * {@code [batch, classes, time]} with a labels mask: the existing steps, or each sequence's last step only when the
 * sequences' own labels masks say so ({@code data.sequence-labels: last-step}).
 */
public final class Shard implements Serializable {
  private static final long serialVersionUID = 2L;
  private final int worker;
  private final DataSet examples;
  private final List<DataSet> sequences;
  private final List<DataSet> batches;

  private Shard(int worker, DataSet examples, List<DataSet> sequences, List<DataSet> batches) {
    this.worker = worker;
    this.examples = examples;
    this.sequences = sequences;
    this.batches = batches;
  }

  /** Single examples, as rows of {@code examples} (null when the worker got none). */
  public static Shard ofExamples(int worker, DataSet examples) {
    return new Shard(worker, examples, null, null);
  }

  /**
   * Single sequences, each a DataSet of one example: features {@code [1, features, time]}, labels
   * {@code [1, classes, time]}, masks {@code [1, time]} (or null: every step exists and counts).
   */
  public static Shard ofSequences(int worker, List<DataSet> sequences) {
    for (DataSet s : sequences) {
      if (s.numExamples() != 1 || s.getFeatures().rank() != 3) {
        throw new IllegalArgumentException("a sequence is one example [1, features, time], got "
            + java.util.Arrays.toString(s.getFeatures().shape()));
      }
    }
    return new Shard(worker, null, List.copyOf(sequences), null);
  }

  /** Pre-batched DataSets, trained as they are. */
  public static Shard ofBatches(int worker, List<DataSet> batches) {
    return new Shard(worker, null, null, List.copyOf(batches));
  }

  public int worker() {
    return worker;
  }

  public long examples() {
    if (batches != null) {
      return batches.stream().mapToLong(DataSet::numExamples).sum();
    }
    if (sequences != null) {
      return sequences.size();
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
    long n = batches != null ? batches.size() : examples();
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
      if (sequences != null) {
        out.add(merged(rows));
        continue;
      }
      INDArray features = Nd4j.pullRows(examples.getFeatures(), 1, rows);
      INDArray labels = Nd4j.pullRows(examples.getLabels(), 1, rows);
      out.add(new DataSet(features, labels));
    }
    return out;
  }

  /** The sequences at {@code rows}, in that order, as one batch padded to the longest (DL4J's merge adds the masks). */
  private DataSet merged(int[] rows) {
    List<DataSet> picked = new ArrayList<>(rows.length);
    for (int row : rows) {
      picked.add(sequences.get(row));
    }
    return DataSet.merge(picked);
  }

  /**
   * The features of a single-example shard, one row per example; of a sequence shard, one row per time step (null
   * otherwise or when empty).
   */
  INDArray features() {
    if (sequences != null) {
      if (sequences.isEmpty()) {
        return null;
      }
      INDArray[] steps = new INDArray[sequences.size()];
      for (int i = 0; i < steps.length; i++) {
        INDArray x = sequences.get(i).getFeatures();
        steps[i] = x.reshape(x.size(1), x.size(2)).transpose();
      }
      return Nd4j.concat(0, steps);
    }
    return examples == null ? null : examples.getFeatures();
  }

  /** A copy with {@code (x - shift) * factor} applied to every feature (of every time step). */
  Shard scaled(FeatureScaling scaling) {
    if (examples == null && sequences == null) {
      return this;
    }
    INDArray shift = Nd4j.createFromArray(scaling.shift()).reshape(1, scaling.shift().length);
    INDArray factor = Nd4j.createFromArray(scaling.factor()).reshape(1, scaling.factor().length);
    if (sequences != null) {
      List<DataSet> out = new ArrayList<>(sequences.size());
      for (DataSet s : sequences) {
        INDArray x = s.getFeatures();
        long width = x.size(1);
        long time = x.size(2);
        INDArray steps = x.reshape(width, time).transpose().dup('c').subiRowVector(shift).muliRowVector(factor);
        INDArray features = steps.transpose().dup('c').reshape(1, width, time);
        out.add(new DataSet(features, s.getLabels(), s.getFeaturesMaskArray(), s.getLabelsMaskArray()));
      }
      return ofSequences(worker, out);
    }
    INDArray features = examples.getFeatures().dup().subiRowVector(shift).muliRowVector(factor);
    return ofExamples(worker, new DataSet(features, examples.getLabels()));
  }

  /** Every example once, in stored order, in batches (evaluation). */
  public List<DataSet> inOrder(int batchSize) {
    if (batches != null) {
      return batches;
    }
    if (sequences != null) {
      List<DataSet> out = new ArrayList<>();
      for (int start = 0; start < sequences.size(); start += batchSize) {
        int[] rows = new int[Math.min(batchSize, sequences.size() - start)];
        for (int i = 0; i < rows.length; i++) {
          rows[i] = start + i;
        }
        out.add(merged(rows));
      }
      return out;
    }
    return examples == null ? List.of() : examples.batchBy(batchSize);
  }
}
