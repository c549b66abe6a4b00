package dev.activationmonkey.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.localkafka.LocalKafka;
import dev.activationmonkey.snapshot.SnapshotIdentity;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.RunEnd;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker is stopped for 30 s in the middle of a run: nothing may be lost. Uses its own broker. */
class BrokerOutageIT {
  @TempDir
  Path temp;

  @Test
  void aBrokerStoppedForThirtySecondsMidRunLosesNoSnapshot() throws Exception {
    try (LocalKafka broker = LocalKafka.builder().dataDir(Files.createDirectories(temp.resolve("kafka"))).port(0).build()) {
      broker.start();
      String topic = "outage-it";
      broker.createTopic(topic, 2);
      String servers = broker.bootstrapServers();
      Path spill = temp.resolve("spill");

      CompletableFuture<RunResult> run = CompletableFuture.supplyAsync(() -> new Trainer().run(
          TinyJobs.mlp(servers, topic, spill, "local[2]", "",
              "    max-block-ms: 500\n    delivery-timeout-ms: 2000\n    final-drain-timeout-ms: 120000",
              // Several epochs: snapshots leave the training thread at once (publishing thread), so a one-epoch run
              // can deliver everything before the outage starts.
              8),
          new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false));

      // Stop the broker as soon as the run has delivered something, keep it down for 30 s, start it again.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (TopicReader.readAll(servers, topic, r -> !r.isEmpty(), Duration.ofSeconds(1)).size() < 20) {
        assertTrue(System.nanoTime() < deadline, "the run never delivered anything");
        assertTrue(!run.isDone(), "the run ended before the outage could start");
      }
      broker.stop();
      Thread.sleep(30_000);
      broker.start();

      RunResult result = run.get(5, TimeUnit.MINUTES);
      // Read until the RunEnd and every step's snapshots are in (or 90 s pass): with two partitions the RunEnd can
      // arrive before the tail of the other partition.
      long expected = result.iterations() * 14;
      List<LayerSnapshot> snapshots = TopicReader.readAll(servers, topic,
          r -> r.stream().anyMatch(x -> x instanceof RunEnd) && r.stream().filter(x -> x instanceof LayerSnapshot)
              .map(x -> SnapshotIdentity.of((LayerSnapshot) x)).distinct().count() >= expected,
          Duration.ofSeconds(90)).stream()
          .filter(r -> r instanceof LayerSnapshot).map(r -> (LayerSnapshot) r).toList();

      assertTrue(result.spilled() > 0, "the outage hit the run: " + result.summary());
      assertEquals(0, result.dropped(), result.summary());
      assertEquals(0, result.pendingInSpill(), result.summary());
      assertEquals(result.spilled(), result.resent(), "every spilled snapshot was re-sent: " + result.summary());

      Set<SnapshotIdentity> identities = new HashSet<>();
      snapshots.forEach(s -> identities.add(SnapshotIdentity.of(s)));
      // 14 snapshots per training step (see TrainerIT), none missing.
      assertEquals(expected, identities.size(), "no snapshot lost: " + result.summary());
      assertEquals(result.snapshotsSent(), identities.size(), result.summary());
      // A record the broker wrote but could not acknowledge before it stopped is spilled and re-sent: such a
      // duplicate carries the same identity and attempt, and there can be no more of them than were spilled.
      assertTrue(snapshots.size() - identities.size() <= result.spilled());
      try (var files = Files.walk(spill)) {
        assertEquals(0, files.filter(p -> p.toString().endsWith(".spill") || p.toString().contains(".claimed-")).count(),
            "nothing left in the spill directory");
      }
    }
  }
}
