package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.collector.Collector;
import dev.activationmonkey.collector.S3Mock;
import dev.activationmonkey.localkafka.KafkaFixture;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dataset on an S3-compatible server (S3Mock in its own process, on 127.0.0.1), through Hadoop's s3a connector:
 * the collector writes it through {@code s3a://} while records stream in, is killed with SIGKILL twice and
 * restarted, and a zombie (a collector of another group, owning every partition) tries to commit a batch the
 * restarted collector has committed since, and is fenced. Every record lands once; {@code monkey report --engine
 * spark} over {@code s3a://} prints what the DuckDB engine prints over a local copy of the same files
 * ({@link KilledCollectorsScenario}, shared with {@link HdfsDatasetIT}).
 *
 * <p>The zombie commits after the winner, not concurrently as on HDFS: the fence on S3 is a conditional PUT, atomic
 * on Amazon S3, but S3Mock checks the condition and stores the object in two steps (of 8 concurrent conditional PUTs
 * of one key, several succeeded), so a race here would test S3Mock, not the collector.
 */
class S3DatasetIT {
  private static final int KILLS = 2;

  @TempDir
  Path temp;

  @Test
  void killedAndFencedCollectorsWriteEachRecordOnceAndSparkOverS3ReportsWhatDuckDbReportsLocally() throws Exception {
    S3Mock s3 = S3Mock.shared();
    String dataset = "s3a://" + S3Mock.BUCKET + "/teams/vision/monkey";
    Configuration conf = new Configuration();
    s3.hadoopConf().forEach(conf::set);
    FileSystem fs = FileSystem.get(URI.create(dataset), conf);
    KilledCollectorsScenario scenario = new KilledCollectorsScenario("s3", KafkaFixture.shared(), fs, dataset, s3.hadoopConf());
    scenario.startProducing();
    // Commits every 3 s rather than HDFS's 1 s: each file's rename is a copy and a delete on S3, so a commit is long
    // enough for a kill to land in it, and every file is one more to read for the report.
    scenario.killCollectors(KILLS, Duration.ofSeconds(3));

    // The zombie first: another group, so it owns every partition and never learns it lost them. It recovers where the
    // dataset ends and holds its batches (no rotation, no flush) until it is closed.
    Collector zombie = Collector.start(scenario.inProcess(scenario.group() + "-zombie", 1_000_000)
        .flushIdle(Duration.ofMinutes(10)).flushMaxAge(Duration.ofMinutes(10)).build());
    Collector restarted = null;
    long started = 0;
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (zombie.stats().openFiles() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertTrue(zombie.stats().openFiles() > 0, "the zombie holds a batch: " + zombie.stats());
      // The restarted collector recovers the same offsets and commits batches starting where the zombie's start.
      started = System.nanoTime();
      restarted = Collector.start(scenario.inProcess(scenario.group(), 3000).build());
      scenario.releaseLastQuarter();
      scenario.awaitProduced();
      restarted.awaitCaughtUp(Duration.ofSeconds(120));
    } finally {
      if (restarted != null) {
        restarted.close();
      }
      zombie.close(); // its commits, after the winner's: commit-<first> exists, the conditional PUT is refused
    }
    System.out.printf("S3DatasetIT: caught up and closed in %.1f s; restarted %s; zombie %s%n", (System.nanoTime() - started) / 1e9,
        restarted.stats().statusLine(), zombie.stats().statusLine());
    assertTrue(zombie.stats().fencedCommits() > 0, "the zombie's commit was fenced: " + zombie.stats());

    scenario.assertEveryRecordOnceAndSparkReportsWhatDuckDbReportsLocally(temp);
  }
}
