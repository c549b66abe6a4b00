package dev.activationmonkey.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.collector.cli.CollectCommand;
import dev.activationmonkey.localkafka.KafkaBroker;
import dev.activationmonkey.localkafka.KafkaFixture;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code monkey collect} as a separate JVM, killed with SIGKILL again and again while a stream of
 * 200,000 records arrives; then run to the end and stopped with SIGTERM. The dataset must hold every
 * produced record exactly once.
 */
class CollectorCrashIT {
  private static final KafkaBroker KAFKA = KafkaFixture.shared();
  private static final int RECORDS = 200_000;
  private static final int KILLS = 6;

  @TempDir Path dataset;
  /** Kept after the run (target/), to read what each killed collector did. */
  private final Path logs = createLogs();

  private static Path createLogs() {
    try {
      return Files.createDirectories(Path.of("target", "crash-it-logs"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private Process startCollector(String topic, int run) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m",
        "-cp", System.getProperty("java.class.path"),
        CollectCommand.class.getName(),
        "--bootstrap-servers", KAFKA.bootstrapServers(),
        "--topics", topic,
        "--group", "g-crash",
        "--dataset", dataset.toString(),
        "--rotate-records", "10000",
        "--idle-flush", "500",
        // Static membership (group.instance.id=auto, the default): a restarted collector takes its predecessor's
        // partitions at once instead of waiting for the killed member's session to expire.
        "--set", "kafka.session.timeout.ms=10000",
        "--set", "flush.max.age.ms=2000", // many commits, so that kills land in the middle of some
        "--set", "status.interval.ms=1000"));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(logs.resolve("collector-" + run + ".log").toFile())
        .start();
  }

  @Test
  void killMinusNineRepeatedlyWhileIngestingLosesAndDuplicatesNothing() throws Exception {
    String topic = "it-crash";
    KAFKA.createTopic(topic, 4);
    List<Fixtures.Produced> produced = Collections.synchronizedList(new ArrayList<>(RECORDS));
    CountDownLatch killsDone = new CountDownLatch(1);
    AtomicBoolean producing = new AtomicBoolean(true);
    AtomicReference<Exception> producerFailure = new AtomicReference<>();
    Thread producerThread = new Thread(() -> {
      try (KafkaProducer<byte[], byte[]> producer = Fixtures.producer(KAFKA.bootstrapServers())) {
        for (int i = 0; i < RECORDS; i++) {
          LayerSnapshot s = TestRecords.snapshot("run-" + (i % 3), i % 16, i, i % 4, TestRecords.kind(i), 0, false);
          String payload = s.getRunId() + ":" + s.getIteration();
          producer.send(TestRecords.snapshotRecord(topic, s), (m, e) -> {
            if (e == null) {
              produced.add(new Fixtures.Produced(m.partition(), m.offset(), payload));
            } else {
              producerFailure.set(e);
            }
          });
          if (i % 1000 == 0) {
            Thread.sleep(250); // ~4k records/s
          }
          if (i == RECORDS - 1000) {
            // Hold the last records back until every kill has happened, however slowly collectors start
            // on a loaded machine: each kill must land while records still arrive.
            killsDone.await(10, TimeUnit.MINUTES);
          }
        }
        producer.flush();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        producing.set(false);
      }
    });
    producerThread.setDaemon(true); // a failed assertion below must not leave it waiting on the latch
    producerThread.start();

    Random random = new Random(42);
    int killsDuringIngest = 0;
    for (int run = 0; run < KILLS; run++) {
      Process collector = startCollector(topic, run);
      long files = countDataFiles();
      if (run % 2 == 0) {
        // Let it get going (JVM start, group join, at least one commit), then kill it at a random moment:
        // while writing, committing or moving files.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (countDataFiles() == files && System.nanoTime() < deadline && collector.isAlive()) {
          Thread.sleep(50);
        }
      } else {
        // Kill it early: while it starts, joins the group or recovers its predecessor's leftovers.
        Thread.sleep(1000);
      }
      assertTrue(collector.isAlive(), "collector " + run + " died on its own: " + Files.readString(logs.resolve("collector-" + run + ".log")));
      Thread.sleep(random.nextInt(2500));
      if (producing.get()) {
        killsDuringIngest++;
      }
      collector.destroyForcibly(); // SIGKILL
      collector.waitFor(30, TimeUnit.SECONDS);
    }
    killsDone.countDown();
    assertTrue(killsDuringIngest >= 5, "killed " + killsDuringIngest + " times while records arrived");

    producerThread.join();
    assertEquals(null, producerFailure.get());
    assertEquals(RECORDS, produced.size());

    Process last = startCollector(topic, KILLS);
    awaitCommitted(topic, Duration.ofSeconds(120));
    last.destroy(); // SIGTERM: flush, commit, exit 0
    assertTrue(last.waitFor(60, TimeUnit.SECONDS));
    String log = Files.readString(logs.resolve("collector-" + KILLS + ".log"));
    assertEquals(0, last.exitValue(), log);
    assertTrue(log.contains("stopped:"), log);

    Map<String, String> rows = Fixtures.readSnapshots(dataset, "run_id || ':' || iteration");
    Map<String, String> expected = Fixtures.expected(produced);
    assertEquals(expected.size(), rows.size(), "row count");
    assertEquals(expected, rows);
    try (var leftovers = Files.walk(dataset.resolve("_collector"))) {
      assertTrue(leftovers.noneMatch(p -> p.getFileName().toString().startsWith("tmp-")), "no temp directories left after the clean stop");
    }
  }

  private long countDataFiles() throws Exception {
    Path snapshots = dataset.resolve("snapshots");
    if (!Files.exists(snapshots)) {
      return 0;
    }
    try (var files = Files.walk(snapshots)) {
      return files.filter(p -> p.toString().endsWith(".parquet")).count();
    }
  }

  /** Until the group's committed offsets reach the topic's end offsets. */
  private static void awaitCommitted(String topic, Duration timeout) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", KAFKA.bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      Map<TopicPartition, OffsetSpec> request = new HashMap<>();
      for (int i = 0; i < 4; i++) {
        request.put(new TopicPartition(topic, i), OffsetSpec.latest());
      }
      Map<TopicPartition, Long> ends = new HashMap<>();
      admin.listOffsets(request).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("g-crash").partitionsToOffsetAndMetadata().get();
        boolean done = ends.entrySet().stream().allMatch(e -> committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() >= e.getValue());
        if (done) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("not caught up: ends " + ends + ", committed " + committed);
        }
        Thread.sleep(200);
      }
    }
  }
}
