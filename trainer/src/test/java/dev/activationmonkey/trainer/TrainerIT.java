package dev.activationmonkey.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.localkafka.KafkaBroker;
import dev.activationmonkey.localkafka.KafkaFixture;
import dev.activationmonkey.snapshot.SnapshotIdentity;
import dev.activationmonkey.snapshot.avro.Evaluation;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.RunEnd;
import dev.activationmonkey.snapshot.avro.RunStart;
import dev.activationmonkey.snapshot.avro.RunStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real Spark local-mode training against the real broker; every record read back with a plain consumer. */
class TrainerIT {
  /**
   * Per logged iteration of a worker, for the 784-16-10 MLP: each of the two layers sends its activations and,
   * per parameter (W, b), one gradient, one parameter and one update snapshot. Written down from the network's
   * shape, not from the listener.
   */
  private static final Set<String> EXPECTED_PER_ITERATION = Set.of(
      "0/ACTIVATION/", "0/GRADIENT/W", "0/GRADIENT/b", "0/PARAMETER/W", "0/PARAMETER/b", "0/UPDATE/W", "0/UPDATE/b",
      "1/ACTIVATION/", "1/GRADIENT/W", "1/GRADIENT/b", "1/PARAMETER/W", "1/PARAMETER/b", "1/UPDATE/W", "1/UPDATE/b");

  @TempDir
  Path temp;

  private static String slot(LayerSnapshot s) {
    return s.getLayerIndex() + "/" + s.getKind() + "/" + (s.getParameterName() == null ? "" : s.getParameterName());
  }

  @Test
  void sparkRunSendsOneSnapshotPerLayerKindAndParameterForEveryIteration() {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "trainer-it-" + System.nanoTime();
    broker.createTopic(topic, 2);
    ByteArrayOutputStream console = new ByteArrayOutputStream();

    RunResult result = new Trainer().run(TinyJobs.mlp(broker.bootstrapServers(), topic, temp, "local[2]", "", ""),
        new PrintStream(console, true, StandardCharsets.UTF_8), false);

    List<SpecificRecordBase> records = TopicReader.readAll(broker.bootstrapServers(), topic,
        r -> r.stream().anyMatch(x -> x instanceof RunEnd), Duration.ofSeconds(60));
    List<LayerSnapshot> snapshots = records.stream().filter(r -> r instanceof LayerSnapshot)
        .map(r -> (LayerSnapshot) r).toList();

    assertEquals(result.snapshotsSent(), snapshots.size(), "RunResult.snapshotsSent = snapshot records on the topic");
    assertEquals(0, result.spilled() + result.dropped());
    // 192 training examples in batches of 16: at least 12 steps over both workers.
    assertTrue(result.iterations() >= 12, "iterations " + result.iterations());

    Map<String, List<LayerSnapshot>> byStep = snapshots.stream().collect(Collectors.groupingBy(
        s -> s.getWorker().getPartitionId() + "/" + s.getWorker().getTaskAttemptId() + "/" + s.getIteration()));
    assertEquals(result.iterations(), byStep.size(), "one group of snapshots per training step, steps: " + byStep.keySet());
    for (Map.Entry<String, List<LayerSnapshot>> step : byStep.entrySet()) {
      List<String> slots = step.getValue().stream().map(TrainerIT::slot).sorted().toList();
      assertEquals(new TreeSet<>(EXPECTED_PER_ITERATION), new TreeSet<>(slots), "step " + step.getKey());
      assertEquals(EXPECTED_PER_ITERATION.size(), slots.size(), "no duplicates in step " + step.getKey());
    }
    Set<SnapshotIdentity> identities = new HashSet<>();
    snapshots.forEach(s -> identities.add(SnapshotIdentity.of(s)));
    assertEquals(snapshots.size(), identities.size(), "identities are unique across splits and workers");

    for (LayerSnapshot s : snapshots) {
      assertEquals(result.runId(), s.getRunId());
      if (s.getKind() == Kind.ACTIVATION && s.getLayerIndex() == 0) {
        assertEquals("relu", s.getActivationFunction());
        assertTrue(s.getMin() >= 0, "relu activations are never negative");
        assertEquals(16, s.getNeurons().getFiringRate().size());
        assertEquals(List.of(2, 16), s.getSample().getShape());
        assertEquals(16 * 16, s.getCount());
      }
      if (s.getKind() == Kind.ACTIVATION && s.getLayerIndex() == 1) {
        // Softmax rows sum to 1 over 10 classes: the mean of the output activations is exactly 0.1.
        assertEquals(0.1, s.getMean(), 1e-5);
        assertEquals("softmax", s.getActivationFunction());
      }
      if (s.getKind() == Kind.PARAMETER && s.getLayerIndex() == 0 && "W".equals(s.getParameterName())) {
        assertEquals(784 * 16, s.getCount());
      }
      if (s.getKind() == Kind.ACTIVATION || s.getKind() == Kind.GRADIENT) {
        assertEquals(8, s.getHistogram().getCounts().size());
        assertEquals(s.getCount(), s.getHistogram().getCounts().stream().mapToLong(Long::longValue).sum());
      } else {
        assertNull(s.getHistogram(), "parameters and updates get no histogram by default (logging.histogram-kinds)");
      }
    }

    RunStart start = records.stream().filter(r -> r instanceof RunStart).map(r -> (RunStart) r).findFirst().orElseThrow();
    assertEquals(result.runId(), start.getRunId());
    assertEquals(192, start.getData().getTrainExamples());
    assertEquals(2, start.getNetwork().getLayers().size());
    List<Evaluation> evaluations = records.stream().filter(r -> r instanceof Evaluation).map(r -> (Evaluation) r).toList();
    assertEquals(1, evaluations.size());
    assertEquals(result.finalAccuracy(), evaluations.get(0).getAccuracy(), 1e-12);
    RunEnd end = records.stream().filter(r -> r instanceof RunEnd).map(r -> (RunEnd) r).findFirst().orElseThrow();
    assertEquals(RunStatus.SUCCEEDED, end.getStatus());
    assertEquals(result.snapshotsSent(), end.getSnapshotsSent());
    assertEquals(2, result.runRecordsSent(), "RunStart and one Evaluation");
    assertTrue(console.toString(StandardCharsets.UTF_8).contains("epoch 1/1"), console.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aTaskThatFailsOnceYieldsRecordsThatDeduplicateToExactlyOneSet() {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "trainer-retry-it-" + System.nanoTime();
    broker.createTopic(topic, 2);

    // local[2,2]: two threads, and a failed task is retried once.
    RunResult result = new Trainer().run(
        TinyJobs.mlp(broker.bootstrapServers(), topic, temp, "local[2,2]",
            "  inject-failure: {partition: 0, after-iterations: 2}", ""),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false);

    List<LayerSnapshot> snapshots = TopicReader.readAll(broker.bootstrapServers(), topic,
        r -> r.stream().anyMatch(x -> x instanceof RunEnd), Duration.ofSeconds(60)).stream()
        .filter(r -> r instanceof LayerSnapshot).map(r -> (LayerSnapshot) r).toList();

    assertEquals(result.snapshotsSent(), snapshots.size(), "the failed attempt's records are counted too");
    List<LayerSnapshot> retried = snapshots.stream().filter(s -> s.getWorker().getAttemptNumber() == 1).toList();
    assertTrue(!retried.isEmpty(), "partition 0 was retried");
    long failedAttemptRecords = snapshots.stream()
        .filter(s -> s.getWorker().getPartitionId() == 0 && s.getWorker().getAttemptNumber() == 0
            && retried.stream().anyMatch(r -> r.getWorker().getStageId() == s.getWorker().getStageId()))
        .count();
    assertEquals(2 * EXPECTED_PER_ITERATION.size(), failedAttemptRecords, "the failed attempt sent two steps");

    Set<SnapshotIdentity> identities = new HashSet<>();
    snapshots.forEach(s -> identities.add(SnapshotIdentity.of(s)));
    // De-duplicated (highest attempt wins), exactly one set: one full slot set per training step.
    assertEquals(result.iterations() * EXPECTED_PER_ITERATION.size(), identities.size());
    assertEquals(snapshots.size() - failedAttemptRecords, identities.size(),
        "every record of the failed attempt is repeated by the retry with the same identity");
  }
}
