package dev.activationmonkey.trainer.distributed;

import java.io.Serializable;

/**
 * What the workers of one averaging round send back, summed over workers by Spark's tree reduce: parameters and
 * updater state weighted by the examples each worker trained in the round.
 *
 * @param firstNonFinite the first iteration (worker-local numbering) whose loss was NaN or infinite, -1 if none
 * @param nonFiniteWorker the worker it happened on, -1 if none
 * @param taskNanos the slowest worker's time in its task (setting up, training, collecting its result)
 * @param trainNanos the slowest worker's time in {@code fit} alone
 * @param lastIteration the highest iteration a worker trained in the round (-1 if none)
 */
record RoundResult(float[] params, float[] updaterState, long examples, long batches, double lossSum,
    long firstNonFinite, int nonFiniteWorker, long taskNanos, long trainNanos, long lastIteration)
    implements Serializable {

  static RoundResult empty() {
    return new RoundResult(null, null, 0, 0, 0, -1, -1, 0, 0, -1);
  }

  RoundResult plus(RoundResult o) {
    float[] p = add(params, o.params);
    float[] u = add(updaterState, o.updaterState);
    long nonFinite = firstNonFinite;
    int worker = nonFiniteWorker;
    if (o.firstNonFinite >= 0 && (nonFinite < 0 || o.firstNonFinite < nonFinite)) {
      nonFinite = o.firstNonFinite;
      worker = o.nonFiniteWorker;
    }
    return new RoundResult(p, u, examples + o.examples, batches + o.batches, lossSum + o.lossSum,
        nonFinite, worker, Math.max(taskNanos, o.taskNanos), Math.max(trainNanos, o.trainNanos),
        Math.max(lastIteration, o.lastIteration));
  }

  private static float[] add(float[] a, float[] b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
    return a;
  }
}
