package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.collector.Collector;
import dev.activationmonkey.collector.CollectorConfig;
import dev.activationmonkey.localkafka.LocalKafkaCluster;
import dev.activationmonkey.snapshot.avro.RunStatus;
import dev.activationmonkey.trainer.RunResult;
import dev.activationmonkey.trainer.Trainer;
import dev.activationmonkey.trainer.spec.JobSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 3-broker KRaft cluster (three JVMs, replication factor 3, min.insync.replicas 2): the leader of one of the snapshot
 * topic's partitions is killed with {@code kill -9} while the trainer trains and the collector collects. Training
 * finishes, the Parquet dataset holds every snapshot the trainer sent exactly once, and the restarted broker rejoins
 * every partition's in-sync replicas.
 */
class MultiBrokerIT {
  @TempDir Path dir;

  @Test
  void aBrokerKilledMidRunLosesAndDuplicatesNothingAndRejoins() throws Exception {
    Path kafka = dir.resolve("kafka");
    long starting = System.nanoTime();
    // Started, checked and stopped through the command line, as a user does; killed and restarted through the cluster.
    assertEquals(0, Monkey.commandLine().execute("kafka", "start", "--brokers", "3", "--port", "0", "--data-dir", kafka.toString()));
    try (LocalKafkaCluster cluster = LocalKafkaCluster.builder().dataDir(kafka).build()) {
      assertEquals(3, cluster.size());
      System.out.printf("MultiBrokerIT: kafka start --brokers 3 took %.1f s%n", (System.nanoTime() - starting) / 1e9);
      String topic = "multi-broker-it";
      cluster.createTopic(topic, 2);
      Map<Integer, Set<Integer>> isr = cluster.inSyncReplicas(topic);
      assertEquals(Map.of(0, Set.of(1, 2, 3), 1, Set.of(1, 2, 3)), isr, "replication factor 3");
      String servers = cluster.bootstrapServers();
      JobSpec spec = JobSpec.parse("""
          name: multi-broker
          data: {limit: 1200, test-fraction: 0.2, batch-size: 32}
          network: {layers: [{type: dense, size: 32, activation: relu}, {type: output, size: 10, activation: softmax}]}
          training: {epochs: 3, workers: 2, master: "local[2]"}
          logging:
            every: 1
            kafka: {bootstrap-servers: "%s", topic: %s, spill-dir: "%s"}
          """.formatted(servers, topic, dir.resolve("spill")), "multi-broker.yaml");
      Path dataset = dir.resolve("dataset");
      RunResult result;
      int victim;
      try (Collector collector = Collector.start(CollectorConfig.builder().bootstrapServers(servers).topics(topic)
          .datasetRoot(dataset.toString()).flushIdle(Duration.ofMillis(500)).build())) {
        CompletableFuture<RunResult> run = CompletableFuture.supplyAsync(() -> new Trainer().run(spec,
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false));
        // Kill partition 0's leader once the run has delivered something, while it still trains.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (endOffset(servers, topic) < 100) {
          assertTrue(System.nanoTime() < deadline, "the run never delivered anything");
          assertFalse(run.isDone(), "the run ended before a broker could be killed: " + (run.isDone() ? run.join().summary() : ""));
          Thread.sleep(100);
        }
        victim = leaderOf(servers, topic, 0);
        cluster.node(victim).kill();
        long killedAt = System.nanoTime();
        assertFalse(run.isDone(), "the broker was killed while the run trained");
        Thread.sleep(3_000);
        cluster.start(); // relaunches the killed node only
        System.out.printf("MultiBrokerIT: broker %d killed and restarted after %.1f s%n", victim, (System.nanoTime() - killedAt) / 1e9);
        result = run.get(5, TimeUnit.MINUTES);
        collector.awaitCaughtUp(Duration.ofMinutes(2));
      }
      long rejoining = System.nanoTime();
      System.out.println("MultiBrokerIT: " + result.summary());
      assertEquals(RunStatus.SUCCEEDED, result.status(), result.summary());
      assertEquals(0, result.dropped(), result.summary());
      assertEquals(0, result.pendingInSpill(), result.summary());
      assertEquals(0, result.spilled(), "the cluster stayed writable: nothing needed spilling: " + result.summary());

      try (Connection connection = DriverManager.getConnection("jdbc:duckdb:"); Statement statement = connection.createStatement();
          ResultSet rows = statement.executeQuery("SELECT count(*), count(DISTINCT (partition_id, epoch, iteration, layer_index, kind,"
              + " coalesce(parameter_name, ''))) FROM read_parquet('" + dataset.resolve("snapshots")
              + "/**/*.parquet', hive_partitioning = true) WHERE run_id = '" + result.runId() + "'")) {
        rows.next();
        assertEquals(result.snapshotsSent(), rows.getLong(1), "one Parquet row per snapshot the trainer sent");
        assertEquals(result.snapshotsSent(), rows.getLong(2), "one row per snapshot identity");
      }

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!cluster.inSyncReplicas(topic).values().stream().allMatch(replicas -> replicas.size() == 3)) {
        assertTrue(System.nanoTime() < deadline, "broker " + victim + " rejoined the ISRs: " + cluster.inSyncReplicas(topic));
        Thread.sleep(200);
      }
      System.out.printf("MultiBrokerIT: ISRs back to 3 after %.1f s more%n", (System.nanoTime() - rejoining) / 1e9);
      assertTrue(cluster.status().stream().allMatch(s -> s.running()), cluster.status().toString());
      assertEquals(0, Monkey.commandLine().execute("kafka", "status", "--data-dir", kafka.toString()), "every broker runs");
      long stopping = System.nanoTime();
      assertEquals(0, Monkey.commandLine().execute("kafka", "stop", "--data-dir", kafka.toString()));
      System.out.printf("MultiBrokerIT: kafka stop took %.1f s%n", (System.nanoTime() - stopping) / 1e9);
      assertTrue(cluster.status().stream().noneMatch(s -> s.running()), "stop ended every broker: " + cluster.status());
      assertEquals(4, Monkey.commandLine().execute("kafka", "status", "--data-dir", kafka.toString()), "status: not running");
    }
  }

  private static long endOffset(String servers, String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers))) {
      return admin.listOffsets(Map.of(new TopicPartition(topic, 0), OffsetSpec.latest(), new TopicPartition(topic, 1), OffsetSpec.latest()))
          .all().get(10, TimeUnit.SECONDS).values().stream().mapToLong(i -> i.offset()).sum();
    }
  }

  private static int leaderOf(String servers, String topic, int partition) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", servers))) {
      return admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions()
          .get(partition).leader().id();
    }
  }
}
