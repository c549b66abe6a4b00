package dev.activationmonkey.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.localkafka.KafkaBroker;
import dev.activationmonkey.localkafka.KafkaFixture;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.RunEnd;
import dev.activationmonkey.snapshot.avro.RunStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dl4j-spark's gradient sharing on the trainer's cached shards: the run's counts match what reached Kafka. */
class SharedGradientsIT {
  @TempDir
  Path temp;

  @Test
  void sharedGradientsCountsItsIterationsExamplesAndSnapshotsRight() {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "shared-it-" + System.nanoTime();
    broker.createTopic(topic, 2);
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    RunResult result = new Trainer().run(TinyJobs.mlp(broker.bootstrapServers(), topic, temp, "local[2]",
        "  training-master: shared-gradients\n  shared-gradients: {port: 40777}", "", 3), new PrintStream(console, true, StandardCharsets.UTF_8), false);
    String out = console.toString(StandardCharsets.UTF_8);

    assertEquals(RunStatus.SUCCEEDED, result.status(), out);
    assertEquals(3, result.epochs());
    assertEquals(192, result.examplesPerEpoch());
    assertEquals(3 * 192, result.examples(), out);
    assertEquals(3 * 12, result.iterations(), "192 examples in batches of 16 per epoch: " + out);
    List<SpecificRecordBase> records = TopicReader.readAll(broker.bootstrapServers(), topic,
        r -> r.stream().anyMatch(x -> x instanceof RunEnd), Duration.ofSeconds(60));
    long snapshots = records.stream().filter(r -> r instanceof LayerSnapshot).count();
    RunEnd end = (RunEnd) records.stream().filter(r -> r instanceof RunEnd).findFirst().orElseThrow();
    assertTrue(snapshots > 0, out);
    assertEquals(snapshots, result.snapshotsSent(), "RunResult.snapshotsSent = snapshot records on the topic: " + out);
    assertEquals(snapshots, end.getSnapshotsSent());
    assertEquals(3 * 12, end.getIterations());
    // Not asserted: one snapshot set per mini-batch. dl4j-spark's trainer threads number their steps so that
    // different steps share iteration numbers (12-16 distinct (partition, epoch, iteration) of 36 in runs here), see
    // docs/trainer.md, "Parameter averaging".
    assertEquals(3 * 192, end.getExamples());
  }
}
