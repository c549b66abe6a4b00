package dev.activationmonkey.collector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch lifecycle without a broker ({@link MockKafka}): rotation, eviction of open files, and what a
 * rebalance does to a batch in progress. Every test reads the Parquet files back and checks the group's
 * committed offsets.
 */
class CollectorBatchTest {
  private static final String TOPIC = "t";

  @TempDir Path dataset;

  private CollectorConfig.Builder config() {
    return CollectorConfig.builder()
        .bootstrapServers("mock:9092")
        .topics(TOPIC)
        .datasetRoot(dataset.toString())
        .flushIdle(Duration.ofHours(1))
        .flushMaxAge(Duration.ofHours(2));
  }

  /** {@code partition -> offsets} of the rows in the snapshots table (the records' iteration is their offset), failing on duplicates. */
  private Map<Integer, List<Long>> rows() throws Exception {
    Map<Integer, List<Long>> rows = new TreeMap<>();
    if (!Files.isDirectory(dataset.resolve("snapshots"))) {
      return rows;
    }
    Fixtures.readSnapshots(dataset, "iteration").forEach((key, iteration) -> {
      String[] parts = key.split("/");
      assertEquals(parts[1], iteration, "row of offset " + key + " holds that offset's record");
      rows.computeIfAbsent(Integer.parseInt(parts[0]), p -> new java.util.ArrayList<>()).add(Long.parseLong(parts[1]));
    });
    rows.values().forEach(java.util.Collections::sort);
    return rows;
  }

  private static List<Long> range(long from, long toInclusive) {
    return java.util.stream.LongStream.rangeClosed(from, toInclusive).boxed().toList();
  }

  /** Names of the visible data files, sorted. */
  private List<String> files() throws IOException {
    Path snapshots = dataset.resolve("snapshots");
    if (!Files.isDirectory(snapshots)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(snapshots)) {
      return walk.filter(p -> p.toString().endsWith(".parquet")).map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void rotatesEveryRotateRecords() throws Exception {
    try (MockKafka kafka = new MockKafka(config().rotateRecords(10).build(), 1)) {
      kafka.assign(TOPIC, 0);
      kafka.step();
      kafka.add(TOPIC, 0, 0, 25);
      kafka.settle();
      assertEquals(List.of("t+0+0+9.parquet", "t+0+10+19.parquet"), files());
      assertEquals(Map.of(0, range(0, 19)), rows());
      assertEquals(Map.of(0, 20L), kafka.committed(TOPIC, 1));
      assertEquals(2, kafka.collector.stats().commits());

      kafka.stop(); // the rest at shutdown
      assertEquals(List.of("t+0+0+9.parquet", "t+0+10+19.parquet", "t+0+20+24.parquet"), files());
      assertEquals(Map.of(0, range(0, 24)), rows());
      assertEquals(Map.of(0, 25L), kafka.committed(TOPIC, 1));
    }
  }

  @Test
  void anOffsetCommitThatFailedIsSentAgainThoughNoNewerBatchFollows() throws Exception {
    try (MockKafka kafka = new MockKafka(config().rotateRecords(10).build(), 1)) {
      kafka.assign(TOPIC, 0);
      kafka.step();
      kafka.add(TOPIC, 0, 0, 10);
      kafka.step(); // the batch 0..9 is in the dataset
      kafka.consumer.failAsyncCommits(2);
      kafka.step(); // its offset's commit fails
      assertEquals(Map.of(), kafka.committed(TOPIC, 1));
      kafka.step(); // and fails again
      assertEquals(Map.of(), kafka.committed(TOPIC, 1));
      kafka.step(); // no record came since: the failed offset is sent again
      assertEquals(Map.of(0, 10L), kafka.committed(TOPIC, 1));
    }
  }

  @Test
  void aConsumerAheadOfTheHighWatermarkItLastSawCountsNoLag() throws Exception {
    try (MockKafka kafka = new MockKafka(config().rotateRecords(10).statusInterval(Duration.ofSeconds(1)).build(), 1)) {
      kafka.assign(TOPIC, 0);
      kafka.step();
      kafka.add(TOPIC, 0, 0, 13);
      kafka.step(); // 0..9 committed, 10..12 in the batch, position 13
      // As after a re-seek past the last fetched high watermark: the consumer's own lag reads 5 - 13 = -8.
      kafka.consumer.updateEndOffsets(Map.of(new TopicPartition(TOPIC, 0), 5L));
      kafka.advance(Duration.ofSeconds(2));
      kafka.step();
      assertEquals(3, kafka.collector.stats().lag(), "the batch's 3 records, nothing negative");
    }
  }

  @Test
  void rotatesAtRotateBytes() throws Exception {
    // One byte: every batch is due at the end of the poll that filled it.
    try (MockKafka kafka = new MockKafka(config().set(CollectorConfig.ROTATE_BYTES, "1").build(), 1)) {
      kafka.consumer.setMaxPollRecords(4);
      kafka.assign(TOPIC, 0);
      kafka.step();
      kafka.add(TOPIC, 0, 0, 10);
      kafka.step(); // the add runs in this poll, which returns 4 of them
      kafka.step();
      kafka.step();
      kafka.step(); // offsets of the last batch
      assertEquals(List.of("t+0+0+3.parquet", "t+0+4+7.parquet", "t+0+8+9.parquet"), files());
      assertEquals(Map.of(0, range(0, 9)), rows());
      assertEquals(Map.of(0, 10L), kafka.committed(TOPIC, 1));
    }
  }

  @Test
  void commitsABatchIdleForFlushIdle() throws Exception {
    try (MockKafka kafka = new MockKafka(config().flushIdle(Duration.ofSeconds(10)).build(), 2)) {
      kafka.assign(TOPIC, 0, 1);
      kafka.step();
      kafka.add(TOPIC, 0, 0, 3);
      kafka.step();
      kafka.add(TOPIC, 1, 0, 2);
      kafka.advance(Duration.ofSeconds(6));
      kafka.settle();
      assertEquals(List.of(), files(), "nothing idle yet");
      assertEquals(Map.of(), kafka.committed(TOPIC, 2));

      kafka.advance(Duration.ofSeconds(4)); // partition 0 idle for 10 s, partition 1 for 4 s
      kafka.settle();
      assertEquals(Map.of(0, range(0, 2)), rows());
      assertEquals(Map.of(0, 3L), kafka.committed(TOPIC, 2));
      assertEquals(1, kafka.collector.stats().openFiles(), "partition 1's file stays open");

      kafka.advance(Duration.ofSeconds(6));
      kafka.settle();
      assertEquals(Map.of(0, range(0, 2), 1, range(0, 1)), rows());
      assertEquals(Map.of(0, 3L, 1, 2L), kafka.committed(TOPIC, 2));
      assertEquals(0, kafka.collector.stats().openFiles());
    }
  }

  @Test
  void commitsABatchOlderThanFlushMaxAgeThoughRecordsKeepComing() throws Exception {
    try (MockKafka kafka = new MockKafka(config().flushIdle(Duration.ofSeconds(10)).flushMaxAge(Duration.ofSeconds(30)).build(), 1)) {
      kafka.assign(TOPIC, 0);
      kafka.step();
      long offset = 0;
      for (int second = 0; second < 30; second += 5) { // a record every 5 s: never idle
        if (second > 0) {
          kafka.advance(Duration.ofSeconds(5));
        }
        kafka.add(TOPIC, 0, offset++, 1);
        kafka.step();
      }
      kafka.advance(Duration.ofSeconds(4));
      kafka.step();
      assertEquals(List.of(), files(), "29 s old, idle for 4 s: not due");
      kafka.advance(Duration.ofSeconds(1));
      kafka.add(TOPIC, 0, offset++, 1);
      kafka.settle();
      assertEquals(List.of("t+0+0+6.parquet"), files());
      assertEquals(Map.of(0, 7L), kafka.committed(TOPIC, 1));
    }
  }

  @Test
  void commitsTheLargestBatchesAboveBufferMemoryBytes() throws Exception {
    try (MockKafka kafka = new MockKafka(config().bufferMemoryBytes(1).build(), 2)) {
      kafka.assign(TOPIC, 0, 1);
      kafka.step();
      kafka.add(TOPIC, 0, 0, 3);
      kafka.step();
      kafka.add(TOPIC, 1, 0, 1);
      kafka.settle();
      assertEquals(Map.of(0, range(0, 2), 1, List.of(0L)), rows());
      assertEquals(Map.of(0, 3L, 1, 1L), kafka.committed(TOPIC, 2));
    }
  }

  @Test
  void evictsTheLeastRecentlyUsedFileByCommittingItsBatch() throws Exception {
    try (MockKafka kafka = new MockKafka(config().maxOpenFiles(2).build(), 3)) {
      kafka.assign(TOPIC, 0, 1, 2);
      kafka.step();
      kafka.add(TOPIC, 0, 0, 2);
      kafka.step();
      kafka.add(TOPIC, 1, 0, 1);
      kafka.step();
      kafka.add(TOPIC, 0, 2, 1); // partition 0's file is used again: partition 1's is now the least recent
      kafka.step();
      assertEquals(List.of(), files());
      assertEquals(2, kafka.collector.stats().openFiles());

      kafka.add(TOPIC, 2, 0, 1); // a third file: partition 1's batch is committed to make room
      kafka.settle();
      assertEquals(Map.of(1, List.of(0L)), rows());
      assertEquals(Map.of(1, 1L), kafka.committed(TOPIC, 3));
      assertEquals(2, kafka.collector.stats().openFiles());

      kafka.stop();
      assertEquals(Map.of(0, range(0, 2), 1, List.of(0L), 2, List.of(0L)), rows());
      assertEquals(Map.of(0, 3L, 1, 1L, 2, 1L), kafka.committed(TOPIC, 3));
    }
  }

  @Test
  void evictionWithinOnePartitionStartsItsNextBatch() throws Exception {
    try (MockKafka kafka = new MockKafka(config().maxOpenFiles(2).build(), 1)) {
      kafka.assign(TOPIC, 0);
      kafka.step();
      kafka.inNextPoll(() -> { // three runs: three files in one partition's batch
        kafka.consumer.addRecord(MockKafka.record(TOPIC, 0, 0, "run-a"));
        kafka.consumer.addRecord(MockKafka.record(TOPIC, 0, 1, "run-b"));
        kafka.consumer.addRecord(MockKafka.record(TOPIC, 0, 2, "run-c"));
      });
      kafka.settle();
      assertEquals(List.of("t+0+0+1.parquet", "t+0+0+1.parquet"), files(), "runs a and b, committed to make room for c");
      assertEquals(Map.of(0, 2L), kafka.committed(TOPIC, 1));
      kafka.stop();
      assertEquals(Map.of(0, range(0, 2)), rows());
      assertEquals(Map.of(0, 3L), kafka.committed(TOPIC, 1));
    }
  }

  @Test
  void aLostPartitionsBatchIsDroppedAndRewrittenAfterReassignment() throws Exception {
    try (MockKafka kafka = new MockKafka(config().rotateRecords(10).build(), 2)) {
      kafka.assign(TOPIC, 0, 1);
      kafka.step();
      kafka.add(TOPIC, 0, 0, 15);
      kafka.settle();
      assertEquals(Map.of(0, range(0, 9)), rows());
      assertEquals(Map.of(0, 10L), kafka.committed(TOPIC, 2));

      // The group moved on without us mid-batch (10..14 in open files): then partition 0 is gone.
      TopicPartition p0 = new TopicPartition(TOPIC, 0);
      kafka.inNextPoll(() -> {
        kafka.consumer.listener().onPartitionsLost(List.of(p0));
        kafka.consumer.rebalance(List.of(new TopicPartition(TOPIC, 1)));
      });
      kafka.settle();
      assertEquals(Map.of(0, range(0, 9)), rows(), "nothing of the lost batch committed, nothing committed before lost");
      assertEquals(Map.of(0, 10L), kafka.committed(TOPIC, 2));
      assertEquals(0, kafka.collector.stats().openFiles());
      assertEquals(1, kafka.collector.stats().commits());

      // Back again: it resumes where the dataset ends and writes 10..14 once.
      kafka.assign(TOPIC, 0, 1);
      kafka.step();
      assertEquals(10, kafka.consumer.position(p0));
      kafka.add(TOPIC, 0, 10, 5);
      kafka.step();
      kafka.stop();
      assertEquals(Map.of(0, range(0, 14)), rows());
      assertEquals(Map.of(0, 15L), kafka.committed(TOPIC, 2));
    }
  }

  @Test
  void aRevokedPartitionsBatchIsCommittedBeforeItMovesAndTheNextOwnerContinuesAfterIt() throws Exception {
    try (MockKafka kafka = new MockKafka(config().build(), 2)) {
      kafka.assign(TOPIC, 0, 1);
      kafka.step();
      kafka.add(TOPIC, 0, 0, 5);
      kafka.step();
      kafka.add(TOPIC, 1, 0, 3);
      kafka.step();
      assertEquals(List.of(), files());

      kafka.assign(TOPIC, 1); // partition 0 revoked mid-batch
      kafka.step();
      assertEquals(Map.of(0, range(0, 4)), rows(), "committed in the revocation callback");
      assertEquals(Map.of(0, 5L), kafka.committed(TOPIC, 2), "and its offsets, synchronously");

      // The next owner, on the same dataset (and, as a real group would, the same committed offsets: here none).
      try (MockKafka next = new MockKafka(config().build(), 2)) {
        next.assign(TOPIC, 0);
        next.step();
        assertEquals(5, next.consumer.position(new TopicPartition(TOPIC, 0)), "resumes where the dataset ends");
        next.inNextPoll(() -> {
          for (long offset = 0; offset < 8; offset++) { // the broker still has 0..4: they are skipped
            next.consumer.addRecord(MockKafka.record(TOPIC, 0, offset, "run-a"));
          }
        });
        next.step();
        next.stop();
      }
      kafka.stop();
      assertEquals(Map.of(0, range(0, 7), 1, range(0, 2)), rows());
    }
  }

  @Test
  void aFencedCommitMakesNothingVisibleAndTheZombieResumesAfterTheWinner() throws Exception {
    TopicPartition p0 = new TopicPartition(TOPIC, 0);
    try (MockKafka zombie = new MockKafka(config().flushIdle(Duration.ofSeconds(10)).build(), 1);
        MockKafka owner = new MockKafka(config().build(), 1)) {
      zombie.assign(TOPIC, 0);
      zombie.step();
      zombie.add(TOPIC, 0, 0, 5); // 0..4 in open files
      zombie.step();

      // Meanwhile the group gave the partition to another collector, which commits 0..7 first.
      owner.assign(TOPIC, 0);
      owner.step();
      owner.add(TOPIC, 0, 0, 8);
      owner.step();
      owner.stop();
      assertEquals(Map.of(0, range(0, 7)), rows());

      zombie.advance(Duration.ofSeconds(10)); // idle: the zombie commits 0..4, and finds the offsets taken
      zombie.step();
      assertEquals(1, zombie.collector.stats().fencedCommits());
      assertEquals(0, zombie.collector.stats().commits());
      assertEquals(Map.of(0, range(0, 7)), rows(), "nothing of the fenced batch visible, nothing of the winner's lost");

      zombie.step(); // recovers from the dataset and re-seeks
      assertEquals(8, zombie.consumer.position(p0));
      assertEquals(Map.of(0, 8L), zombie.committed(TOPIC, 1), "the group's offset follows the dataset");
      zombie.add(TOPIC, 0, 8, 2);
      zombie.step();
      zombie.stop();
      assertEquals(Map.of(0, range(0, 9)), rows());
      assertEquals(Map.of(0, 10L), zombie.committed(TOPIC, 1));
      assertTrue(files().contains("t+0+8+9.parquet"), files().toString());
    }
  }
}
