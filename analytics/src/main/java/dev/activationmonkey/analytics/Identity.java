package dev.activationmonkey.analytics;

import java.util.List;

/**
 * How both engines de-duplicate snapshots: one row per {@link dev.activationmonkey.snapshot.SnapshotIdentity}
 * (run, partition, epoch, iteration, layer, kind, parameter), keeping the highest task attempt: a retried
 * Spark task re-sends its snapshots with a higher attempt number, and a producer that re-sent a spilled
 * record sends the same attempt twice (then the later Kafka offset wins, the content being the same).
 */
public final class Identity {
  private Identity() {}

  public static final List<String> COLUMNS =
      List.of("run_id", "partition_id", "epoch", "iteration", "layer_index", "kind", "parameter_name");

  /** The window ORDER BY that puts the kept row first. */
  public static final String KEEP_FIRST_ORDER = "attempt_number DESC, kafka_partition DESC, kafka_offset DESC";

  public static String partitionBy() {
    return String.join(", ", COLUMNS);
  }
}
