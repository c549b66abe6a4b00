package dev.activationmonkey.trainer.listener;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkEnv;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Step numbers for training the trainer does not drive itself: dl4j-spark's gradient sharing trains in one long-lived
 * thread per executor JVM ({@code workersPerNode} 1) across all of an epoch's tasks, and the iteration and epoch
 * counters of its network replica repeat between tasks (measured: 12 tasks per epoch sharing 4 iteration numbers), so
 * snapshot identities collided. The task that feeds a JVM's trainer its batches starts the run's clock with the
 * epoch; the listener then stamps each step with that epoch, the clock's step (counted in this JVM from 0, never
 * repeated in a run) and the JVM's worker number, and advances the clock after the step.
 *
 * <p>One clock per run and JVM; absent for runs the trainer's own parameter averaging drives (there each worker's
 * network carries its worker-local counts).
 */
public final class StepClock {
  private static final Map<String, StepClock> CLOCKS = new ConcurrentHashMap<>();

  private volatile int epoch;
  private final AtomicLong step = new AtomicLong();

  private StepClock() {}

  /** Called by the task that feeds this JVM's trainer: the run's clock, now in {@code epoch}. */
  public static StepClock start(String runId, int epoch) {
    StepClock clock = CLOCKS.computeIfAbsent(runId, id -> new StepClock());
    clock.epoch = epoch;
    return clock;
  }

  /**
   * The batches a task feeds this JVM's trainer in {@code epoch}: starts the run's clock in that epoch and counts each
   * batch as the trainer takes it (the feeding task's accumulator updates reach the driver; the listener's task may
   * have completed long before).
   */
  public static Iterator<DataSet> feeding(String runId, int epoch, RunAccumulators accumulators,
      Iterator<DataSet> batches) {
    start(runId, epoch);
    return accumulators.countedAsTaken(batches);
  }

  /** The run's clock in this JVM, or null when the steps are numbered by the network (parameter averaging). */
  static StepClock of(String runId) {
    return CLOCKS.get(runId);
  }

  public static void forget(String runId) {
    CLOCKS.remove(runId);
  }

  int epoch() {
    return epoch;
  }

  /** The step in progress. */
  long step() {
    return step.get();
  }

  void advance() {
    step.incrementAndGet();
  }

  /**
   * The worker this JVM is for gradient sharing: its executor id where that is a number (standalone, YARN and
   * Kubernetes number executors from 0), else 0 (local mode: one JVM, one trainer thread).
   */
  static int jvmWorker() {
    SparkEnv env = SparkEnv.get();
    if (env == null) {
      return 0;
    }
    try {
      return Integer.parseInt(env.executorId());
    } catch (NumberFormatException driver) {
      return 0;
    }
  }
}
