package dev.activationmonkey.trainer.listener;

import dev.activationmonkey.trainer.publish.DeliveryTotals;
import java.io.Serializable;
import java.util.Iterator;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;
import org.nd4j.linalg.dataset.DataSet;
import scala.Option;

/**
 * Spark accumulators that carry exact counts from the executors to the driver. Each task adds its own
 * delivery outcomes when it completes, after flushing the producer.
 *
 * <p>Delivery counts are registered with {@code countFailedValues = true}: a failed task attempt's records
 * did reach Kafka (and the collector's Parquet), so they must be counted too. Iterations and examples are
 * not: the retried attempt redoes that work, and it should count once.
 */
public final class RunAccumulators implements Serializable {
  private final LongAccumulator sent = new LongAccumulator();
  private final LongAccumulator spilled = new LongAccumulator();
  private final LongAccumulator resent = new LongAccumulator();
  private final LongAccumulator dropped = new LongAccumulator();
  private final LongAccumulator iterations = new LongAccumulator();
  private final LongAccumulator examples = new LongAccumulator();

  private RunAccumulators() {}

  /** Registers a fresh set with the driver's SparkContext. */
  public static RunAccumulators register(SparkContext sc) {
    RunAccumulators a = new RunAccumulators();
    // register(sc, name, countFailedValues) is Scala-private[spark] but public in bytecode; it is the only
    // way to count failed attempts' values (sc.register() always passes false).
    a.sent.register(sc, Option.apply("monkey.snapshots.sent"), true);
    a.spilled.register(sc, Option.apply("monkey.snapshots.spilled"), true);
    a.resent.register(sc, Option.apply("monkey.snapshots.resent"), true);
    a.dropped.register(sc, Option.apply("monkey.snapshots.dropped"), true);
    a.iterations.register(sc, Option.apply("monkey.iterations"), false);
    a.examples.register(sc, Option.apply("monkey.examples"), false);
    return a;
  }

  /** Called in a task (any thread of it) with that task's outcomes. */
  public synchronized void addDelivery(DeliveryTotals totals) {
    sent.add(totals.sent());
    spilled.add(totals.spilled());
    resent.add(totals.resent());
    dropped.add(totals.dropped());
  }

  public synchronized void addWork(long iterationCount, long exampleCount) {
    iterations.add(iterationCount);
    examples.add(exampleCount);
  }

  /**
   * Counts each mini-batch as the trainer takes it, in the task that feeds it: under gradient sharing the listener's
   * own task may have completed while its long-lived trainer thread still trains (see {@link StepClock}).
   */
  public Iterator<DataSet> countedAsTaken(Iterator<DataSet> batches) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return batches.hasNext();
      }

      @Override
      public DataSet next() {
        DataSet batch = batches.next();
        addWork(1, batch.numExamples());
        return batch;
      }
    };
  }

  /** Driver side: the totals of all completed tasks. */
  public DeliveryTotals delivery() {
    return new DeliveryTotals(sent.value(), spilled.value(), resent.value(), dropped.value());
  }

  public long iterations() {
    return iterations.value();
  }

  public long examples() {
    return examples.value();
  }
}
