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
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
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
    List<LayerSnapshot> snapshots = records.stream().filter(r -> r instanceof LayerSnapshot)
        .map(r -> (LayerSnapshot) r).toList();
    RunEnd end = (RunEnd) records.stream().filter(r -> r instanceof RunEnd).findFirst().orElseThrow();
    assertTrue(snapshots.size() > 0, out);
    assertEquals(snapshots.size(), result.snapshotsSent(), "RunResult.snapshotsSent = snapshot records on the topic: " + out);
    assertEquals(snapshots.size(), end.getSnapshotsSent());
    assertEquals(3 * 12, end.getIterations());
    // One full set of snapshots per trained mini-batch, each with its own (worker, epoch, iteration): dl4j-spark's
    // trainer repeats its network's iteration numbers between tasks; the trainer's StepClock numbers the steps.
    Map<String, Long> perStep = snapshots.stream().collect(Collectors.groupingBy(
        s -> s.getWorker().getPartitionId() + "/" + s.getEpoch() + "/" + s.getIteration(), TreeMap::new,
        Collectors.counting()));
    assertEquals(3 * 12, perStep.size(), "one step identity per mini-batch: " + perStep.keySet());
    long perSet = snapshots.size() / perStep.size();
    perStep.forEach((step, n) -> assertEquals(perSet, n, "a full set of snapshots in step " + step));
    Map<Integer, Long> stepsPerEpoch = snapshots.stream().filter(s -> s.getLayerIndex() == 0)
        .map(s -> s.getEpoch() + "/" + s.getWorker().getPartitionId() + "/" + s.getIteration()).distinct()
        .collect(Collectors.groupingBy(k -> Integer.parseInt(k.substring(0, k.indexOf('/'))), TreeMap::new,
            Collectors.counting()));
    assertEquals(Map.of(0, 12L, 1, 12L, 2, 12L), stepsPerEpoch, "12 steps in each epoch");
    assertEquals(3 * 192, end.getExamples());
  }
}
