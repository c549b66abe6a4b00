package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.report.DuckDbEngine;
import dev.activationmonkey.analytics.report.Report;
import dev.activationmonkey.analytics.report.ReportBuilder;
import dev.activationmonkey.analytics.report.Thresholds;
import dev.activationmonkey.collector.Collector;
import dev.activationmonkey.collector.CollectorConfig;
import dev.activationmonkey.localkafka.KafkaBroker;
import dev.activationmonkey.localkafka.KafkaFixture;
import dev.activationmonkey.localspark.LocalSpark;
import dev.activationmonkey.localspark.SparkFixture;
import dev.activationmonkey.localspark.SubmitRequest;
import dev.activationmonkey.localspark.SubmitResult;
import dev.activationmonkey.snapshot.SnapshotCodec;
import dev.activationmonkey.snapshot.SnapshotIdentity;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.RunEnd;
import dev.activationmonkey.snapshot.avro.RunStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer's spark-submit jar (the one `mvn package` builds) submitted through spark-submit's own entry point to a
 * real Spark standalone cluster on this machine: a master and two workers, each executor a JVM of its own, the real
 * broker, the collector writing Parquet read back by DuckDB.
 */
class ClusterIT {
  /**
   * Per logged step of the 784-16-10 MLP: each layer's activations and, per parameter (W, b), a gradient, a parameter
   * and an update snapshot.
   */
  private static final int SNAPSHOTS_PER_STEP = 14;

  @TempDir Path dir;

  private static Path sparkJar() {
    String property = System.getProperty("monkey.trainer.spark-jar");
    assertTrue(property != null && Files.isRegularFile(Path.of(property)),
        "the trainer's spark-submit jar (-Dmonkey.trainer.spark-jar, built by `mvn package` unless -DskipSparkJar): "
            + property);
    return Path.of(property);
  }

  /**
   * A small job for the cluster: {@code examples} bundled MNIST digits (a quarter held out), batch 16, a 784-16-10
   * MLP, two workers, parameter averaging every {@code averaging} steps, every step logged with every kind. The master
   * is spark-submit's.
   */
  private Path job(String topic, int examples, int epochs, int averaging) throws Exception {
    Path file = dir.resolve("job-" + topic + ".yaml");
    Files.writeString(file, """
        name: cluster-it
        data:
          limit: %d
          test-fraction: 0.25
          batch-size: 16
        network:
          updater: {type: sgd, learning-rate: 0.1}
          layers:
            - {type: dense, size: 16, activation: relu}
            - {type: output, size: 10, activation: softmax}
        training:
          epochs: %d
          workers: 2
          parameter-averaging: {averaging-frequency: %d}
        logging:
          every: 1
          histogram-bins: 8
          kafka:
            bootstrap-servers: %s
            topic: %s
            spill-dir: %s
        """.formatted(examples, epochs, averaging, KafkaFixture.shared().bootstrapServers(), topic,
        dir.resolve("spill-" + topic)));
    return file;
  }

  private static SubmitResult submit(LocalSpark cluster, Path job) {
    return cluster.submit(SubmitRequest.builder(sparkJar(), "dev.activationmonkey.trainer.cli.TrainCommand")
        .name("cluster-it")
        .args("--config", job.toString())
        .executorCores(1).totalExecutorCores(2).executorMemory("1g")
        .timeout(Duration.ofMinutes(4))
        .onOutput(line -> System.out.println("[driver] " + line))
        .build());
  }

  @Test
  void trainsOnTwoExecutorJvmsAndTrainerKafkaParquetAndRunEndAgree() throws Exception {
    KafkaBroker broker = KafkaFixture.shared();
    LocalSpark cluster = SparkFixture.shared();
    String topic = "cluster-it-" + System.nanoTime();
    broker.createTopic(topic, 2);

    SubmitResult result = submit(cluster, job(topic, 256, 1, 2));
    assertEquals(0, result.exitCode(), "spark-submit failed; its log: " + result.log());
    TrainSummary summary = TrainSummary.parse(result.output())
        .orElseThrow(() -> new AssertionError("no summary in the driver's output:\n" + result.output()));
    assertTrue(summary.snapshotsSent() > 0, result.output());
    // Spilling is allowed (a loaded machine can delay an executor's first broker answer); losing is not.
    assertEquals(0, summary.dropped(), result.output());
    assertEquals(summary.spilled(), summary.resent(), "every spilled record re-sent: " + result.output());
    // 192 training examples in batches of 16 over 2 workers, averaging every 2 steps: every batch once.
    assertEquals(12, summary.iterations(), result.output());

    List<SpecificRecordBase> records = readTopic(broker.bootstrapServers(), topic);
    List<LayerSnapshot> snapshots = snapshots(records, summary.runId());
    assertEquals(summary.snapshotsSent(), snapshots.size(), "trainer count = snapshot records on Kafka");
    assertEquals(summary.iterations() * SNAPSHOTS_PER_STEP, snapshots.size(), "one full set per step");
    Set<String> executors = snapshots.stream().map(s -> s.getWorker().getExecutorId()).collect(Collectors.toSet());
    assertTrue(executors.size() >= 2, "snapshots from two executors: " + executors);
    assertFalse(executors.contains("driver"), "no snapshot from the driver: " + executors);
    RunEnd end = runEnd(records, summary.runId());
    assertEquals(RunStatus.SUCCEEDED, end.getStatus());
    assertEquals(summary.snapshotsSent(), end.getSnapshotsSent(), "RunEnd counts the snapshots on the topic");
    assertEquals(summary.iterations(), end.getIterations());

    // The collector writes the topic to Parquet; DuckDB reads it back straight from the files.
    Path dataset = dir.resolve("dataset");
    CollectorConfig config = CollectorConfig.builder().bootstrapServers(broker.bootstrapServers()).topics(topic)
        .groupId("cluster-it-" + System.nanoTime()).datasetRoot(dataset.toString()).build();
    try (Collector collector = Collector.start(config)) {
      collector.awaitCaughtUp(Duration.ofMinutes(2));
    }
    try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
        Statement statement = connection.createStatement()) {
      try (ResultSet rows = statement.executeQuery("SELECT count(*), count(DISTINCT (kafka_partition, kafka_offset)),"
          + " count(DISTINCT executor_id) FROM read_parquet('" + dataset.resolve("snapshots")
          + "/**/*.parquet', hive_partitioning = true) WHERE run_id = '" + summary.runId() + "'")) {
        rows.next();
        assertEquals(summary.snapshotsSent(), rows.getLong(1), "one Parquet row per snapshot the trainer sent");
        assertEquals(summary.snapshotsSent(), rows.getLong(2), "no Kafka record written twice");
        assertEquals(executors.size(), rows.getLong(3), "the executors in Parquet");
      }
      try (ResultSet rows = statement.executeQuery("SELECT count(*), max(snapshots_sent), max(status) FROM read_parquet('"
          + dataset.resolve("run_ends") + "/**/*.parquet', hive_partitioning = true) WHERE run_id = '"
          + summary.runId() + "'")) {
        rows.next();
        assertEquals(1, rows.getLong(1), "one RunEnd row");
        assertEquals(summary.snapshotsSent(), rows.getLong(2), "RunEnd in Parquet");
        assertEquals("succeeded", rows.getString(3));
      }
    }
    Report report;
    try (var engine = new DuckDbEngine(ActivationLog.open(dataset.toString()), true)) {
      report = new ReportBuilder(engine, Thresholds.defaults()).build(dataset.toString(), List.of());
    }
    assertEquals(List.of(summary.runId()), report.runs().stream().map(r -> r.runId()).toList());
    assertFalse(report.runs().get(0).series().isEmpty(), "the report has per-iteration rows");
  }

  /**
   * The driver never holds the training set: 60,000 28x28 images (188 MB as the floats training uses, a 47 MB IDX
   * file) train with a 128 MB driver heap, every example once.
   */
  @Test
  void aDriverWithLessHeapThanTheDataTrainsOnItBecauseTheExecutorsReadIt() throws Exception {
    int images = 60_000;
    Path mnist = Files.createDirectories(dir.resolve("big-mnist"));
    java.util.Random random = new java.util.Random(11);
    try (java.io.DataOutputStream img = new java.io.DataOutputStream(new java.io.BufferedOutputStream(
            Files.newOutputStream(mnist.resolve("train-images-idx3-ubyte")), 1 << 16));
        java.io.DataOutputStream lab = new java.io.DataOutputStream(new java.io.BufferedOutputStream(
            Files.newOutputStream(mnist.resolve("train-labels-idx1-ubyte"))))) {
      img.writeInt(0x803);
      img.writeInt(images);
      img.writeInt(28);
      img.writeInt(28);
      lab.writeInt(0x801);
      lab.writeInt(images);
      byte[] pixels = new byte[784];
      for (int i = 0; i < images; i++) {
        int label = i % 10;
        random.nextBytes(pixels);
        for (int p = 0; p < 28; p++) {
          pixels[label * 28 + p] = (byte) 255; // a class-specific stripe, so there is something to learn
        }
        img.write(pixels);
        lab.writeByte(label);
      }
    }
    long floatBytes = 4L * images * 784;
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "cluster-heap-it-" + System.nanoTime();
    broker.createTopic(topic, 2);
    Path job = dir.resolve("big.yaml");
    Files.writeString(job, """
        name: cluster-heap-it
        data: {path: "%s", test-fraction: 0.1, batch-size: 100}
        network:
          layers:
            - {type: dense, size: 16, activation: relu}
            - {type: output, size: 10, activation: softmax}
        training: {epochs: 1, workers: 2}
        logging:
          every: 100
          kafka: {bootstrap-servers: "%s", topic: %s, spill-dir: "%s"}
        """.formatted(mnist.toUri(), broker.bootstrapServers(), topic, dir.resolve("spill-heap")));

    SubmitResult result = SparkFixture.shared().submit(
        SubmitRequest.builder(sparkJar(), "dev.activationmonkey.trainer.cli.TrainCommand")
            .name("cluster-heap-it").args("--config", job.toString())
            .driverHeap("128m")
            // Spark refuses heaps under 450 MB unless told its 300 MB reserve is not needed (a testing key).
            .conf("spark.testing.reservedMemory", "0")
            .executorCores(1).totalExecutorCores(2).executorMemory("1500m")
            .timeout(Duration.ofMinutes(4))
            .onOutput(line -> System.out.println("[driver] " + line))
            .build());

    assertEquals(0, result.exitCode(), "spark-submit failed; its log: " + result.log());
    assertTrue(floatBytes > 128L * 1024 * 1024, "the data is larger than the driver's heap");
    TrainSummary summary = TrainSummary.parse(result.output())
        .orElseThrow(() -> new AssertionError("no summary in the driver's output:\n" + result.output()));
    assertEquals(0, summary.dropped(), result.output());
    assertTrue(result.output().contains("54,000 examples (54,000 per epoch)"), "every example once: " + result.output());
  }

  @Test
  void aKilledExecutorIsRelaunchedAndTheDeduplicatedLogHasEveryStepExactlyOnce() throws Exception {
    KafkaBroker broker = KafkaFixture.shared();
    LocalSpark cluster = SparkFixture.shared();
    String topic = "cluster-kill-it-" + System.nanoTime();
    broker.createTopic(topic, 2);
    // 960 training examples, batch 16, 2 workers, averaging every 3 steps: 10 splits of 6 steps per epoch, 2 epochs.
    Path job = job(topic, 1280, 2, 3);
    int expectedSteps = 2 * 960 / 16;

    CompletableFuture<SubmitResult> run = CompletableFuture.supplyAsync(() -> submit(cluster, job));
    // Wait until both executors have sent snapshots, then kill -9 one executor JVM.
    Set<Long> before = awaitSnapshotsFromTwoExecutors(broker.bootstrapServers(), topic, cluster, run);
    ProcessHandle victim = cluster.executorProcesses().get(0);
    long killedAt = System.nanoTime();
    Process kill = new ProcessBuilder("kill", "-9", Long.toString(victim.pid())).inheritIO().start();
    assertEquals(0, kill.waitFor(), "kill -9 " + victim.pid());
    assertTrue(victim.onExit().get(30, TimeUnit.SECONDS) != null && !victim.isAlive());
    System.out.printf("ClusterIT: killed executor JVM %d (executors were %s)%n", victim.pid(), before);

    // Spark's worker reports the lost executor and the master launches a new one.
    long relaunched = -1;
    while (relaunched < 0 && System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(60)) {
      relaunched = cluster.executorProcesses().stream().mapToLong(ProcessHandle::pid)
          .filter(pid -> !before.contains(pid)).findFirst().orElse(-1);
      Thread.sleep(100);
    }
    assertTrue(relaunched > 0, "a new executor JVM was launched after the kill");

    SubmitResult result = run.get(4, TimeUnit.MINUTES);
    assertEquals(0, result.exitCode(), "the run finishes despite the lost executor; its log: " + result.log());
    TrainSummary summary = TrainSummary.parse(result.output()).orElseThrow();
    assertEquals(expectedSteps, summary.iterations(), "every batch trained once per epoch: " + result.output());

    List<SpecificRecordBase> records = readTopic(broker.bootstrapServers(), topic);
    List<LayerSnapshot> snapshots = snapshots(records, summary.runId());
    // De-duplicate as readers do: per identity, the highest attempt wins.
    Map<SnapshotIdentity, LayerSnapshot> deduplicated = new HashMap<>();
    for (LayerSnapshot s : snapshots) {
      deduplicated.merge(SnapshotIdentity.of(s), s,
          (a, b) -> a.getWorker().getAttemptNumber() >= b.getWorker().getAttemptNumber() ? a : b);
    }
    Map<String, Long> perStep = deduplicated.keySet().stream().collect(Collectors.groupingBy(
        id -> id.partitionId() + "/" + id.epoch() + "/" + id.iteration(), TreeMap::new, Collectors.counting()));
    assertEquals(expectedSteps, perStep.size(), "every (partition, epoch, iteration) step is there: " + perStep.keySet());
    perStep.forEach((step, count) -> assertEquals(SNAPSHOTS_PER_STEP, count, "a full set of snapshots in step " + step));
    assertEquals(expectedSteps * SNAPSHOTS_PER_STEP, deduplicated.size());
    Map<Integer, TreeSet<Long>> iterationsByPartition = deduplicated.keySet().stream().collect(Collectors.groupingBy(
        SnapshotIdentity::partitionId, TreeMap::new, Collectors.mapping(SnapshotIdentity::iteration,
            Collectors.toCollection(TreeSet::new))));
    assertEquals(Set.of(0, 1), iterationsByPartition.keySet());
    iterationsByPartition.forEach((partition, iterations) -> {
      assertEquals(expectedSteps / 2, iterations.size(), "partition " + partition + " trained its share: " + iterations);
      assertEquals(iterations.size() - 1, iterations.last() - iterations.first(),
          "no step of partition " + partition + " missing: " + iterations);
    });

    RunEnd end = runEnd(records, summary.runId());
    assertEquals(RunStatus.SUCCEEDED, end.getStatus());
    assertEquals(expectedSteps, end.getIterations());
    long retried = snapshots.stream().filter(s -> s.getWorker().getAttemptNumber() > 0).count();
    System.out.printf("ClusterIT: %d snapshot records on the topic, %d after de-duplication, %d from retried attempts;"
            + " the trainer counted %d sent; steps by partition: %s%n", snapshots.size(), deduplicated.size(), retried,
        summary.snapshotsSent(), iterationsByPartition);
    assertTrue(snapshots.size() >= summary.snapshotsSent(),
        "the topic holds at least what the trainer counted (a lost executor's counts never reach the driver)");
  }

  /** Polls the topic until snapshots from two executors arrived; returns the executor JVMs' pids at that moment. */
  private static Set<Long> awaitSnapshotsFromTwoExecutors(String servers, String topic, LocalSpark cluster,
      CompletableFuture<SubmitResult> run) throws Exception {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(servers)) {
      List<TopicPartition> partitions = assign(consumer, topic);
      consumer.seekToBeginning(partitions);
      Set<String> executors = new TreeSet<>();
      long records = 0;
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (System.nanoTime() < deadline) {
        if (run.isDone()) {
          throw new AssertionError("the run ended before the executor could be killed: " + run.get().output());
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (SnapshotCodec.INSTANCE.decode(r.value()) instanceof LayerSnapshot s) {
            executors.add(s.getWorker().getExecutorId());
            records++;
          }
        }
        List<ProcessHandle> jvms = cluster.executorProcesses();
        if (executors.size() >= 2 && records >= 4L * SNAPSHOTS_PER_STEP && jvms.size() == 2) {
          return jvms.stream().map(ProcessHandle::pid).collect(Collectors.toSet());
        }
      }
      throw new AssertionError("no snapshots from two executors within 3 minutes (" + executors + ")");
    }
  }

  private static List<LayerSnapshot> snapshots(List<SpecificRecordBase> records, String runId) {
    return records.stream().filter(r -> r instanceof LayerSnapshot).map(r -> (LayerSnapshot) r)
        .filter(s -> s.getRunId().equals(runId)).toList();
  }

  private static RunEnd runEnd(List<SpecificRecordBase> records, String runId) {
    return records.stream().filter(r -> r instanceof RunEnd).map(r -> (RunEnd) r)
        .filter(e -> e.getRunId().equals(runId)).findFirst().orElseThrow(() -> new AssertionError("no RunEnd"));
  }

  /** Every record of the topic, decoded; reads until the end offsets it saw at the start (the run has ended). */
  private static List<SpecificRecordBase> readTopic(String servers, String topic) {
    List<SpecificRecordBase> records = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(servers)) {
      List<TopicPartition> partitions = assign(consumer, topic);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline
          && partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          records.add(SnapshotCodec.INSTANCE.decode(r.value()));
        }
      }
    }
    return records;
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String servers) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    return new KafkaConsumer<>(p);
  }

  private static List<TopicPartition> assign(KafkaConsumer<byte[], byte[]> consumer, String topic) {
    List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
        .map(info -> new TopicPartition(topic, info.partition())).toList();
    consumer.assign(partitions);
    return partitions;
  }
}
