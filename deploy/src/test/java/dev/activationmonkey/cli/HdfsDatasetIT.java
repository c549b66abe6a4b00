package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.collector.Collector;
import dev.activationmonkey.localkafka.KafkaFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dataset on a real HDFS (a NameNode and a DataNode of Hadoop's MiniDFSCluster, on 127.0.0.1): the collector
 * writes it through {@code hdfs://} while records stream in, is killed with SIGKILL twice and restarted, and shares
 * the dataset with a zombie (a collector of another group that owns every partition, so their commits fence each
 * other). Every record lands once; {@code monkey report --engine spark} over {@code hdfs://} prints what the DuckDB
 * engine prints over a local copy of the same files ({@link KilledCollectorsScenario}).
 */
class HdfsDatasetIT {
  private static final int KILLS = 2;

  @TempDir
  static Path hdfsHome;
  @TempDir
  Path temp;

  private static MiniDFSCluster hdfs;
  private static String namenode;

  @BeforeAll
  static void startHdfs() throws Exception {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, hdfsHome.toString());
    conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
    conf.set("dfs.datanode.address", "127.0.0.1:0");
    conf.set("dfs.datanode.http.address", "127.0.0.1:0");
    conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
    hdfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).nameNodeHttpPort(0).build();
    hdfs.waitActive();
    namenode = "hdfs://127.0.0.1:" + hdfs.getNameNodePort();
  }

  @AfterAll
  static void stopHdfs() {
    if (hdfs != null) {
      hdfs.shutdown();
    }
  }

  @Test
  void killedAndFencedCollectorsWriteEachRecordOnceAndSparkOverHdfsReportsWhatDuckDbReportsLocally() throws Exception {
    String dataset = namenode + "/teams/vision/monkey";
    KilledCollectorsScenario scenario = new KilledCollectorsScenario("hdfs", KafkaFixture.shared(), hdfs.getFileSystem(),
        dataset, Map.of());
    scenario.startProducing();
    scenario.killCollectors(KILLS, Duration.ofSeconds(1));

    // The restarted collector, and a zombie beside it: another group, so it owns every partition too and never learns
    // it lost them. Their batches overlap; whichever commits second is fenced and re-reads where the dataset ends.
    Collector restarted = Collector.start(scenario.inProcess(scenario.group(), 300).build());
    Collector zombie = Collector.start(scenario.inProcess(scenario.group() + "-zombie", 700).build());
    try {
      scenario.releaseLastQuarter();
      scenario.awaitProduced();
      restarted.awaitCaughtUp(Duration.ofSeconds(120));
      zombie.awaitCaughtUp(Duration.ofSeconds(120));
    } finally {
      restarted.close();
      zombie.close();
    }
    System.out.println("HdfsDatasetIT: restarted " + restarted.stats().statusLine() + "; zombie " + zombie.stats().statusLine());
    assertTrue(restarted.stats().fencedCommits() + zombie.stats().fencedCommits() > 0,
        "the zombie and the restarted collector fenced each other: " + restarted.stats() + " / " + zombie.stats());

    scenario.assertEveryRecordOnceAndSparkReportsWhatDuckDbReportsLocally(temp);
  }
}
