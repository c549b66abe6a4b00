package dev.activationmonkey.trainer.progress;

import dev.activationmonkey.trainer.publish.DeliveryCounts;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Progress counters of the runs training in this JVM, updated by the listener on every iteration. In Spark
 * local mode the executors share the driver's JVM, so the driver's progress line reads them live; on a
 * cluster the driver falls back to the accumulators, which arrive when tasks complete.
 */
public final class LiveProgress {
  private static final Map<String, LiveProgress> RUNS = new ConcurrentHashMap<>();

  private final LongAdder iterations = new LongAdder();
  private final LongAdder examples = new LongAdder();
  private final DeliveryCounts delivery = new DeliveryCounts();
  private final AtomicLong lastScoreBits = new AtomicLong(Double.doubleToLongBits(Double.NaN));

  public static LiveProgress of(String runId) {
    return RUNS.computeIfAbsent(runId, id -> new LiveProgress());
  }

  public static void forget(String runId) {
    RUNS.remove(runId);
  }

  public void iteration(long batchExamples, double score) {
    iterations.increment();
    examples.add(batchExamples);
    lastScoreBits.set(Double.doubleToLongBits(score));
  }

  /** Delivery outcomes of every task of the run in this JVM (parent of the tasks' own counts). */
  public DeliveryCounts delivery() {
    return delivery;
  }

  public long iterations() {
    return iterations.sum();
  }

  public long examples() {
    return examples.sum();
  }

  public long snapshotsAcknowledged() {
    return delivery.totals().sent();
  }

  public double lastScore() {
    return Double.longBitsToDouble(lastScoreBits.get());
  }
}
