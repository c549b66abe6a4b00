package dev.activationmonkey.trainer;

import dev.activationmonkey.snapshot.avro.RunStatus;
import java.nio.file.Path;
import java.util.List;

/**
 * The outcome of a training run.
 *
 * @param runId the run's id (the {@code run_id} partition of every table)
 * @param status SUCCEEDED, or DIVERGED when a training loss turned NaN or infinite (FAILED runs throw)
 * @param epochs epochs completed
 * @param iterations mini-batch steps summed over all workers (a retried task's steps count once)
 * @param examples examples trained on, summed over all workers and epochs
 * @param examplesPerEpoch training examples in the data set: a complete epoch trains each exactly once
 * @param firstNonFinite the first iteration (worker-local step) whose training loss was not finite, -1 if none
 * @param nonFiniteWorker the worker it happened on, -1 if none or unknown
 * @param snapshotsSent LayerSnapshots acknowledged by Kafka, summed over every task attempt (re-sent ones
 *     included): exactly the number of snapshot records on the topic for this run
 * @param runRecordsSent RunStart, Evaluation and RunEnd records acknowledged (RunEnd itself not counted)
 * @param spilled snapshots written to the local spill directory after a failed send
 * @param resent spilled snapshots later acknowledged (part of {@code snapshotsSent})
 * @param dropped snapshots neither delivered nor spilled (each logged)
 * @param pendingInSpill spilled snapshots still on disk when the run ended (broker still unreachable)
 * @param finalAccuracy accuracy on the test set after the last epoch (NaN without a test set)
 * @param finalLoss loss on the test set after the last epoch (NaN without a test set)
 * @param checkpoints model files written, one per epoch
 * @param durationMillis wall-clock time of the run
 */
public record RunResult(String runId, RunStatus status, int epochs, long iterations, long examples,
    long examplesPerEpoch, long firstNonFinite, int nonFiniteWorker, long snapshotsSent,
    long runRecordsSent, long spilled, long resent, long dropped, long pendingInSpill, double finalAccuracy,
    double finalLoss, List<Path> checkpoints, long durationMillis) {

  public RunResult {
    checkpoints = List.copyOf(checkpoints);
  }

  /** One-paragraph summary for the console. */
  public String summary() {
    return String.format(java.util.Locale.ROOT,
        "run %s: %d epochs, %,d iterations, %,d examples (%,d per epoch) in %.1f s; test accuracy %.4f, loss %.4f%n"
            + "snapshots: %,d sent, %,d spilled, %,d re-sent, %,d dropped%s; run records sent: %d%s",
        runId, epochs, iterations, examples, examplesPerEpoch, durationMillis / 1000.0, finalAccuracy, finalLoss, snapshotsSent, spilled,
        resent, dropped, pendingInSpill > 0 ? ", " + pendingInSpill + " still in the spill directory" : "",
        runRecordsSent, checkpoints.isEmpty() ? "" : "\ncheckpoints: " + checkpoints)
        + (status == RunStatus.DIVERGED ? "\nDIVERGED: the training loss turned NaN or infinite at iteration "
            + firstNonFinite + (nonFiniteWorker >= 0 ? " on worker " + nonFiniteWorker : "")
            + "; every snapshot up to there was delivered (monkey report shows where it started)" : "");
  }
}
