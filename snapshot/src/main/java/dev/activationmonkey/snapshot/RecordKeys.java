package dev.activationmonkey.snapshot;

import java.nio.charset.StandardCharsets;

/**
 * Kafka record keys. Snapshots are keyed by run and worker partition, so the default partitioner puts
 * one run's snapshots from one worker into one Kafka partition, in the order the worker sent them.
 * Run-level records (start, evaluations, end) are keyed by run alone.
 */
public final class RecordKeys {
  private RecordKeys() {}

  public static byte[] worker(String runId, int partitionId) {
    return (runId + "/w" + partitionId).getBytes(StandardCharsets.UTF_8);
  }

  public static byte[] run(String runId) {
    return runId.getBytes(StandardCharsets.UTF_8);
  }
}
