package dev.activationmonkey.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.collector.deadletter.DeadLetterQueue;
import dev.activationmonkey.localkafka.KafkaBroker;
import dev.activationmonkey.localkafka.KafkaFixture;
import dev.activationmonkey.snapshot.RecordKeys;
import dev.activationmonkey.snapshot.SnapshotCodec;
import dev.activationmonkey.snapshot.avro.Histogram;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The collector in this JVM against the real broker; the dataset read back by DuckDB. */
class CollectorIT {
  private static final KafkaBroker KAFKA = KafkaFixture.shared();

  @TempDir Path dataset;

  private CollectorConfig.Builder config(String topic, String group) {
    return CollectorConfig.builder()
        .bootstrapServers(KAFKA.bootstrapServers())
        .topics(topic)
        .groupId(group)
        .datasetRoot(dataset.toString())
        .flushIdle(Duration.ofSeconds(1))
        .statusInterval(Duration.ofSeconds(2))
        .set("kafka.session.timeout.ms", "6000")
        .set("kafka.heartbeat.interval.ms", "1000");
  }

  private static String payload(LayerSnapshot s) {
    return s.getRunId() + ":" + s.getIteration() + ":" + s.getLayerIndex() + ":" + s.getKind().name().toLowerCase(java.util.Locale.ROOT);
  }

  private static final String PAYLOAD_SQL = "run_id || ':' || iteration || ':' || layer_index || ':' || kind";

  @Test
  void everyGoodRecordLandsOnceAndEveryBadOneInTheDeadLetterTopicWithItsReason() throws Exception {
    String topic = "it-poison";
    KAFKA.createTopic(topic, 3);
    List<Fixtures.Produced> good = new ArrayList<>();
    Map<String, String> poisonReasons = new HashMap<>(); // "partition/offset" -> expected reason
    try (KafkaProducer<byte[], byte[]> producer = Fixtures.producer(KAFKA.bootstrapServers())) {
      for (String run : List.of("run-a", "run-b")) {
        Fixtures.sendSync(producer, new ProducerRecord<>(topic, RecordKeys.run(run), SnapshotCodec.INSTANCE.encode(TestRecords.runStart(run))));
        Fixtures.sendSync(producer, new ProducerRecord<>(topic, RecordKeys.run(run), SnapshotCodec.INSTANCE.encode(TestRecords.evaluation(run, 0))));
        Fixtures.sendSync(producer, new ProducerRecord<>(topic, RecordKeys.run(run), SnapshotCodec.INSTANCE.encode(TestRecords.evaluation(run, 1))));
        Fixtures.sendSync(producer, new ProducerRecord<>(topic, RecordKeys.run(run), SnapshotCodec.INSTANCE.encode(TestRecords.runEnd(run))));
      }
      List<java.util.concurrent.Future<RecordMetadata>> goodSends = new ArrayList<>();
      List<LayerSnapshot> goodRecords = new ArrayList<>();
      for (int i = 0; i < 3000; i++) {
        LayerSnapshot s = TestRecords.snapshot(i % 2 == 0 ? "run-a" : "run-b", i % 3, i, i % 4, TestRecords.kind(i / 4), 16, i % 10 == 0);
        goodSends.add(producer.send(TestRecords.snapshotRecord(topic, s)));
        goodRecords.add(s);
        if (i % 97 == 0) {
          int kind = (i / 97) % 5;
          byte[] key = RecordKeys.worker("run-a", i % 3);
          byte[] value;
          String reason;
          switch (kind) {
            case 0 -> { value = "not avro at all".getBytes(); reason = "malformed"; }
            case 1 -> {
              value = SnapshotCodec.INSTANCE.encode(s);
              value[3] ^= 0x55; // a fingerprint nobody knows: a newer producer
              reason = "unknown-schema";
            }
            case 2 -> {
              byte[] bytes = SnapshotCodec.INSTANCE.encode(s);
              value = java.util.Arrays.copyOf(bytes, bytes.length / 2); // truncated body
              reason = "malformed";
            }
            case 3 -> {
              LayerSnapshot bad = LayerSnapshot.newBuilder(s).setRunId("../../etc").build();
              value = SnapshotCodec.INSTANCE.encode(bad);
              reason = "invalid-record";
            }
            default -> {
              LayerSnapshot bad = LayerSnapshot.newBuilder(s)
                  .setHistogram(Histogram.newBuilder().setEdges(List.of(0.0, 1.0)).setCounts(List.of(1L, 2L, 3L)).build()).build();
              value = SnapshotCodec.INSTANCE.encode(bad);
              reason = "invalid-record";
            }
          }
          RecordMetadata m = Fixtures.sendSync(producer, new ProducerRecord<>(topic, key, value));
          poisonReasons.put(m.partition() + "/" + m.offset(), reason);
        }
      }
      for (int i = 0; i < goodSends.size(); i++) {
        RecordMetadata m = goodSends.get(i).get();
        good.add(new Fixtures.Produced(m.partition(), m.offset(), payload(goodRecords.get(i))));
      }
    }

    // Few open files and small rotations, so that LRU commits and rotations happen many times.
    try (Collector collector = Collector.start(config(topic, "g-poison").rotateRecords(500).maxOpenFiles(4).build())) {
      // The cap on open files holds all along, not just at the end.
      java.util.concurrent.atomic.AtomicInteger mostOpen = new java.util.concurrent.atomic.AtomicInteger();
      Thread watcher = new Thread(() -> {
        while (true) {
          mostOpen.accumulateAndGet(collector.stats().openFiles(), Math::max);
          try {
            Thread.sleep(5);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      watcher.start();
      collector.awaitCaughtUp(Duration.ofSeconds(90));
      watcher.interrupt();
      watcher.join();
      assertTrue(mostOpen.get() <= 4 && mostOpen.get() > 0, "open files peaked at " + mostOpen.get());
      CollectorStats stats = collector.stats();
      assertEquals(good.size() + 8, stats.recordsWritten(), "snapshots + 2 x (start, 2 evaluations, end)");
      assertEquals(poisonReasons.size(), stats.deadLetters());
      assertTrue(stats.filesWritten() > 10, "rotated: " + stats);
    }

    assertEquals(Fixtures.expected(good), Fixtures.readSnapshots(dataset, PAYLOAD_SQL));
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:")) {
      ResultSet rs = db.createStatement().executeQuery("SELECT run_id, count(*) FROM read_parquet('" + dataset.resolve("runs")
          + "/**/*.parquet', hive_partitioning = true) GROUP BY run_id ORDER BY run_id");
      assertTrue(rs.next());
      assertEquals("run-a", rs.getString(1));
      assertEquals(1, rs.getInt(2));
      assertTrue(rs.next());
      assertEquals("run-b", rs.getString(1));
      rs = db.createStatement().executeQuery("SELECT count(*), count(DISTINCT run_id) FROM read_parquet('" + dataset.resolve("evaluations")
          + "/**/*.parquet', hive_partitioning = true)");
      rs.next();
      assertEquals(4, rs.getInt(1));
      assertEquals(2, rs.getInt(2));
      rs = db.createStatement().executeQuery("SELECT count(*) FROM read_parquet('" + dataset.resolve("run_ends") + "/**/*.parquet')");
      rs.next();
      assertEquals(2, rs.getInt(1));
    }

    List<ConsumerRecord<byte[], byte[]>> dead = Fixtures.readTopic(KAFKA.bootstrapServers(), topic + ".dlq", poisonReasons.size(), Duration.ofSeconds(30));
    Map<String, String> deadReasons = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> letter : dead) {
      Map<String, String> h = Fixtures.headers(letter);
      assertEquals(topic, h.get(DeadLetterQueue.TOPIC));
      assertFalse(h.get(DeadLetterQueue.MESSAGE).isBlank());
      deadReasons.put(h.get(DeadLetterQueue.PARTITION) + "/" + h.get(DeadLetterQueue.OFFSET), h.get(DeadLetterQueue.REASON));
    }
    assertEquals(poisonReasons.size(), dead.size(), "one dead letter per bad record");
    assertEquals(poisonReasons, deadReasons);
  }

  @Test
  void twoCollectorsWithRebalancesInTheMiddleWriteEveryRecordOnce() throws Exception {
    String topic = "it-rebalance";
    KAFKA.createTopic(topic, 4);
    List<Fixtures.Produced> produced = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean keepProducing = new AtomicBoolean(true);
    java.util.concurrent.atomic.AtomicReference<Exception> producerFailure = new java.util.concurrent.atomic.AtomicReference<>();
    // A steady stream (a few thousand records/s) for as long as the test needs: the rebalances happen mid-stream.
    Thread producerThread = new Thread(() -> {
      try (KafkaProducer<byte[], byte[]> producer = Fixtures.producer(KAFKA.bootstrapServers())) {
        for (int i = 0; keepProducing.get(); i++) {
          LayerSnapshot s = TestRecords.snapshot("run-" + (i % 5), i % 8, i, i % 3, TestRecords.kind(i), 8, false);
          String payload = payload(s);
          producer.send(TestRecords.snapshotRecord(topic, s), (m, e) -> {
            if (e == null) {
              produced.add(new Fixtures.Produced(m.partition(), m.offset(), payload));
            } else {
              producerFailure.set(e);
            }
          });
          if (i % 100 == 0) {
            Thread.sleep(20);
          }
        }
        producer.flush();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    producerThread.start();

    Collector first = Collector.start(config(topic, "g-rebalance").rotateRecords(700).build());
    Collector second = null;
    try {
      waitFor(() -> first.stats().recordsWritten() > 2000, "the first collector writes");
      second = Collector.start(config(topic, "g-rebalance").rotateRecords(700).build());
      Collector secondCollector = second;
      waitFor(() -> secondCollector.stats().recordsWritten() > 2000, "the second collector takes partitions over");
      assertTrue(first.stats().partitions() < 4, "the partitions were shared: " + first.stats());
      first.close(); // another rebalance: everything moves to the second
      long afterClose = produced.size();
      waitFor(() -> produced.size() > afterClose + 2000, "more records arrive after the first left");
      keepProducing.set(false);
      producerThread.join();
      second.awaitCaughtUp(Duration.ofSeconds(90));
    } finally {
      keepProducing.set(false);
      first.close();
      if (second != null) {
        second.close();
      }
    }
    assertEquals(null, producerFailure.get());
    assertEquals(Fixtures.expected(produced), Fixtures.readSnapshots(dataset, PAYLOAD_SQL));
    assertEquals(produced.size(), first.stats().recordsWritten() + second.stats().recordsWritten(),
        "each record written by exactly one of them");
  }

  /**
   * Two collectors of different groups on one dataset: each owns every partition (a zombie that never
   * learns it lost them, taken to the extreme). Their batches overlap, so commits are fenced on the
   * writer thread again and again, and each fence must reach the consumer thread as a recovery and a
   * re-seek, with the records fetched before the seek dropped. Still every record exactly once.
   */
  @Test
  void writersFencedByAnotherCollectorResumeWhereTheDatasetEnds() throws Exception {
    String topic = "it-fence";
    KAFKA.createTopic(topic, 2);
    List<Fixtures.Produced> produced = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = Fixtures.producer(KAFKA.bootstrapServers())) {
      Collector small = Collector.start(config(topic, "g-fence-a").rotateRecords(300).build());
      Collector large = Collector.start(config(topic, "g-fence-b").rotateRecords(700).build());
      try {
        List<java.util.concurrent.Future<RecordMetadata>> sends = new ArrayList<>();
        List<String> payloads = new ArrayList<>();
        for (int i = 0; i < 6000; i++) {
          LayerSnapshot s = TestRecords.snapshot("fence-" + (i % 3), i % 4, i, i % 2, TestRecords.kind(i), 8, false);
          payloads.add(payload(s));
          sends.add(producer.send(TestRecords.snapshotRecord(topic, s)));
          if (i % 200 == 199) {
            producer.flush();
            Thread.sleep(30); // a stream, so that both collectors hold overlapping batches
          }
        }
        for (int i = 0; i < sends.size(); i++) {
          RecordMetadata m = sends.get(i).get();
          produced.add(new Fixtures.Produced(m.partition(), m.offset(), payloads.get(i)));
        }
        small.awaitCaughtUp(Duration.ofSeconds(90));
        large.awaitCaughtUp(Duration.ofSeconds(90));
      } finally {
        small.close();
        large.close();
      }
      assertTrue(small.stats().fencedCommits() + large.stats().fencedCommits() > 0,
          "the collectors fenced each other: " + small.stats() + " / " + large.stats());
      assertEquals(Fixtures.expected(produced), Fixtures.readSnapshots(dataset, PAYLOAD_SQL));
    }
  }

  @Test
  void idleFlushMakesTheLastRecordsOfAQuietRunVisible() throws Exception {
    String topic = "it-idle";
    KAFKA.createTopic(topic, 1);
    List<Fixtures.Produced> produced = new ArrayList<>();
    try (Collector collector = Collector.start(config(topic, "g-idle").build());
        KafkaProducer<byte[], byte[]> producer = Fixtures.producer(KAFKA.bootstrapServers())) {
      for (int i = 0; i < 10; i++) {
        LayerSnapshot s = TestRecords.snapshot("quiet", 0, i, 0, TestRecords.kind(i), 4, false);
        RecordMetadata m = Fixtures.sendSync(producer, TestRecords.snapshotRecord(topic, s));
        produced.add(new Fixtures.Produced(m.partition(), m.offset(), payload(s)));
      }
      // No awaitCaughtUp (it would ask for a flush): the idle flush alone must make them visible.
      waitFor(() -> countFiles() > 0, "the idle flush commits the batch");
      assertEquals(Fixtures.expected(produced), Fixtures.readSnapshots(dataset, PAYLOAD_SQL));
    }
  }

  private long countFiles() {
    try (Stream<Path> files = Files.walk(dataset)) {
      return files.filter(p -> p.toString().endsWith(".parquet") && !dataset.relativize(p).toString().startsWith("_")).count();
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      return 0; // the collector renamed a temp file while the walk was in its folder: look again
    }
  }

  static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(100);
    }
  }
}
