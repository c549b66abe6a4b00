package dev.activationmonkey.snapshot;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;

/**
 * What makes a layer snapshot unique within a run, regardless of which task attempt sent it. A Spark
 * task that is retried re-sends snapshots with the same identity and a higher attempt number; readers
 * keep, per identity, the highest attempt.
 */
public record SnapshotIdentity(
    String runId, int partitionId, int epoch, long iteration, int layerIndex, Kind kind, String parameterName) {

  public SnapshotIdentity {
    requireNonNull(runId, "runId is null");
    requireNonNull(kind, "kind is null");
    parameterName = parameterName == null ? "" : parameterName;
  }

  public static SnapshotIdentity of(LayerSnapshot snapshot) {
    return new SnapshotIdentity(
        snapshot.getRunId(),
        snapshot.getWorker().getPartitionId(),
        snapshot.getEpoch(),
        snapshot.getIteration(),
        snapshot.getLayerIndex(),
        snapshot.getKind(),
        snapshot.getParameterName());
  }

}
