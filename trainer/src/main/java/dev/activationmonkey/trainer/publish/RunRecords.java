package dev.activationmonkey.trainer.publish;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.snapshot.RecordKeys;
import dev.activationmonkey.snapshot.SnapshotCodec;
import dev.activationmonkey.snapshot.avro.RunEnd;
import java.io.PrintStream;
import java.nio.file.Path;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * The driver's side of a run's delivery: its run-level records (RunStart, Evaluation, RunEnd) on a producer and spill
 * directory of their own, so that their outcomes never mix with the snapshot counts, and the end of the run's
 * snapshots (flush, bounded wait for spilled ones). {@code monkey train} and the library ({@code trainer.api}) end runs
 * the same way through this class: RunEnd's snapshot counts are the records the topic holds.
 */
public final class RunRecords {
  private final KafkaSettings kafka;
  private final SnapshotProducer producer;
  private final DeliveryCounts counts = new DeliveryCounts();
  private final byte[] key;

  /** The run's snapshot delivery once every worker has reported: totals and what still waits in a spill. */
  public record SnapshotOutcome(DeliveryTotals totals, long pendingInSpill) {}

  private static final java.time.format.DateTimeFormatter RUN_TIME =
      java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(java.time.ZoneOffset.UTC);

  /** A new run id: {@code <name>-<yyyyMMdd-HHmmss UTC>-<6 random hex digits>}. */
  public static String newRunId(String name, long startMillis) {
    return name + "-" + RUN_TIME.format(java.time.Instant.ofEpochMilli(startMillis)) + "-"
        + java.util.UUID.randomUUID().toString().substring(0, 6);
  }

  public RunRecords(KafkaSettings kafka, String runId) {
    this.kafka = requireNonNull(kafka, "kafka is null");
    this.producer = SnapshotProducer.forSettings(
        kafka.withSpillDirectory(Path.of(kafka.spillDirectory(), "run-records").toString()));
    this.key = RecordKeys.run(requireNonNull(runId, "runId is null"));
  }

  /** Sends a RunStart or Evaluation (asynchronously; spilled if the broker does not answer). */
  public void send(SpecificRecordBase record) {
    producer.send(key, SnapshotCodec.INSTANCE.encode(record), counts);
  }

  /**
   * Flushes this JVM's snapshot producer and re-sends what waits in its spill, waiting up to the settings'
   * {@code finalDrainMillis} for the broker; then the run's totals: the workers' plus what this JVM re-sent.
   *
   * @param progress where to say that it waits, or null
   */
  public SnapshotOutcome finishSnapshots(DeliveryTotals fromWorkers, PrintStream progress) {
    SnapshotProducer snapshots = SnapshotProducer.forSettings(kafka);
    snapshots.flush();
    DeliveryCounts here = new DeliveryCounts();
    boolean drained = drainSpill(snapshots, here, kafka.finalDrainMillis(), progress);
    DeliveryTotals totals = fromWorkers.plus(here.totals());
    return new SnapshotOutcome(totals, drained ? 0 : totals.pendingInSpill());
  }

  /** Flushes the run records sent so far (waiting for a spill as above); how many were acknowledged. */
  public long finishRunRecords() {
    producer.flush();
    drainSpill(producer, counts, kafka.finalDrainMillis(), null);
    return counts.totals().sent();
  }

  /** Sends the RunEnd and flushes: the last record of the run. */
  public void end(RunEnd end) {
    producer.send(key, SnapshotCodec.INSTANCE.encode(end), new DeliveryCounts());
    producer.flush();
  }

  private static boolean drainSpill(SnapshotProducer producer, DeliveryCounts counts, long timeoutMillis,
      PrintStream progress) {
    if (!producer.hasSpilled()) {
      return true;
    }
    long deadline = System.currentTimeMillis() + timeoutMillis;
    if (progress != null) {
      progress.printf("re-sending spilled snapshots from %s (waiting up to %d s for the broker)%n",
          producer.spillDirectory(), timeoutMillis / 1000);
    }
    while (true) {
      if (producer.resendSpilled(counts)) {
        return true;
      }
      if (System.currentTimeMillis() >= deadline) {
        return false;
      }
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }
}
