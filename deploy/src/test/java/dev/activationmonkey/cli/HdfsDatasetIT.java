package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.analytics.Identity;
import dev.activationmonkey.collector.Collector;
import dev.activationmonkey.collector.CollectorConfig;
import dev.activationmonkey.collector.TestRecords;
import dev.activationmonkey.collector.cli.CollectCommand;
import dev.activationmonkey.localkafka.KafkaBroker;
import dev.activationmonkey.localkafka.KafkaFixture;
import dev.activationmonkey.snapshot.RecordKeys;
import dev.activationmonkey.snapshot.SnapshotCodec;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
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
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The dataset on a real HDFS (a NameNode and a DataNode of Hadoop's MiniDFSCluster, on 127.0.0.1): the collector
 * writes it through {@code hdfs://} while records stream in, is killed with SIGKILL twice and restarted, and shares
 * the dataset with a zombie (a collector of another group that owns every partition, so their commits fence each
 * other). Every record lands once; {@code monkey report --engine spark} over {@code hdfs://} prints what the DuckDB
 * engine prints over a local copy of the same files.
 */
class HdfsDatasetIT {
  private static final int ITERATIONS = 1_200;
  private static final int WORKERS = 2;
  private static final int LAYERS = 2;
  private static final int PER_ITERATION = WORKERS * LAYERS * Kind.values().length;
  private static final int SNAPSHOTS = ITERATIONS * PER_ITERATION; // 19,200
  private static final int KILLS = 2;

  @TempDir
  static Path hdfsHome;
  @TempDir
  Path temp;

  private static MiniDFSCluster hdfs;
  private static String namenode;
  private final KafkaBroker kafka = KafkaFixture.shared();
  private final Path logs = createLogs();

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

  private static Path createLogs() {
    try {
      return Files.createDirectories(Path.of("target", "hdfs-it-logs"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** {@code monkey collect} in its own JVM, writing to {@code dataset} on HDFS. */
  private Process startCollector(String topic, String dataset, int run) throws Exception {
    List<String> command = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
        "-cp", System.getProperty("java.class.path"),
        CollectCommand.class.getName(),
        "--bootstrap-servers", kafka.bootstrapServers(),
        "--topics", topic,
        "--group", "g-hdfs",
        "--dataset", dataset,
        "--rotate-records", "1000",
        "--idle-flush", "500",
        "--set", "kafka.session.timeout.ms=10000",
        "--set", "flush.max.age.ms=1000", // many commits, so that a kill lands in the middle of some
        "--set", "status.interval.ms=1000");
    return new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(logs.resolve("collector-" + run + ".log").toFile()).start();
  }

  private CollectorConfig inProcess(String topic, String group, String dataset, long rotate) {
    return CollectorConfig.builder().bootstrapServers(kafka.bootstrapServers()).topics(topic).groupId(group)
        .datasetRoot(dataset).rotateRecords(rotate).flushIdle(Duration.ofSeconds(1))
        .statusInterval(Duration.ofSeconds(2)).set("kafka.session.timeout.ms", "10000").build();
  }

  @Test
  void killedAndFencedCollectorsWriteEachRecordOnceAndSparkOverHdfsReportsWhatDuckDbReportsLocally() throws Exception {
    String topic = "hdfs-dataset";
    kafka.createTopic(topic, 3);
    String dataset = namenode + "/teams/vision/monkey";
    FileSystem fs = hdfs.getFileSystem();

    // The stream: two runs' starts, snapshots at ~2,000 a second with an evaluation per epoch, the runs' ends. The last
    // quarter waits until the kills are done and the zombie runs, so that both happen while records arrive.
    List<String> produced = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch lastQuarter = new CountDownLatch(1);
    AtomicReference<Exception> producerFailure = new AtomicReference<>();
    Thread producer = new Thread(() -> {
      try (KafkaProducer<byte[], byte[]> p = producer()) {
        for (String run : List.of("vision-a", "vision-b")) {
          p.send(new ProducerRecord<>(topic, RecordKeys.run(run), SnapshotCodec.INSTANCE.encode(TestRecords.runStart(run))));
        }
        int sent = 0;
        for (int iteration = 0; iteration < ITERATIONS; iteration++) {
          String run = iteration % 2 == 0 ? "vision-a" : "vision-b";
          for (int worker = 0; worker < WORKERS; worker++) {
            for (int layer = 0; layer < LAYERS; layer++) {
              for (Kind kind : Kind.values()) {
                LayerSnapshot s = TestRecords.snapshot(run, worker, iteration, layer, kind, 16, false);
                String identity = run + "/" + worker + "/" + iteration + "/" + layer + "/" + kind.name().toLowerCase(java.util.Locale.ROOT);
                p.send(TestRecords.snapshotRecord(topic, s), (m, e) -> {
                  if (e == null) {
                    produced.add(identity);
                  } else {
                    producerFailure.set(e);
                  }
                });
                if (++sent % 200 == 0) {
                  Thread.sleep(100);
                }
                if (sent == SNAPSHOTS * 3 / 4) {
                  lastQuarter.await(5, TimeUnit.MINUTES);
                }
              }
            }
          }
          if (iteration % 100 == 99) {
            p.send(new ProducerRecord<>(topic, RecordKeys.run(run),
                SnapshotCodec.INSTANCE.encode(TestRecords.evaluation(run, iteration / 100))));
          }
        }
        for (String run : List.of("vision-a", "vision-b")) {
          p.send(new ProducerRecord<>(topic, RecordKeys.run(run), SnapshotCodec.INSTANCE.encode(TestRecords.runEnd(run))));
        }
        p.flush();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        producerFailure.set(e);
      }
    });
    producer.setDaemon(true);
    producer.start();

    long started = System.nanoTime();
    Random random = new Random(15);
    for (int run = 0; run < KILLS; run++) {
      Process collector = startCollector(topic, dataset, run);
      long files = dataFiles(fs, dataset);
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (dataFiles(fs, dataset) == files && System.nanoTime() < deadline && collector.isAlive()) {
        Thread.sleep(50); // until it has committed at least once
      }
      assertTrue(collector.isAlive(), "collector " + run + " died on its own: "
          + Files.readString(logs.resolve("collector-" + run + ".log")));
      Thread.sleep(random.nextInt(1500));
      collector.destroyForcibly(); // SIGKILL, mid-stream
      collector.waitFor(30, TimeUnit.SECONDS);
      assertEquals(1, lastQuarter.getCount(), "killed while records arrived");
    }
    System.out.printf("HdfsDatasetIT: %d kills in %.1f s%n", KILLS, (System.nanoTime() - started) / 1e9);

    // The restarted collector, and a zombie beside it: another group, so it owns every partition too and never learns
    // it lost them. Their batches overlap; whichever commits second is fenced and re-reads where the dataset ends.
    Collector restarted = Collector.start(inProcess(topic, "g-hdfs", dataset, 300));
    Collector zombie = Collector.start(inProcess(topic, "g-hdfs-zombie", dataset, 700));
    try {
      lastQuarter.countDown();
      producer.join(TimeUnit.MINUTES.toMillis(5));
      assertEquals(null, producerFailure.get());
      restarted.awaitCaughtUp(Duration.ofSeconds(120));
      zombie.awaitCaughtUp(Duration.ofSeconds(120));
    } finally {
      restarted.close();
      zombie.close();
    }
    System.out.println("HdfsDatasetIT: restarted " + restarted.stats().statusLine() + "; zombie " + zombie.stats().statusLine());
    assertTrue(restarted.stats().fencedCommits() + zombie.stats().fencedCommits() > 0,
        "the zombie and the restarted collector fenced each other: " + restarted.stats() + " / " + zombie.stats());
    assertEquals(SNAPSHOTS, produced.size());

    // A local copy of the files, read by DuckDB: every produced snapshot once, one row per identity.
    Path copy = temp.resolve("copy");
    fs.copyToLocalFile(false, new org.apache.hadoop.fs.Path(dataset), new org.apache.hadoop.fs.Path(copy.toUri()), true);
    Map<String, Long> rows = identities(copy);
    assertEquals(SNAPSHOTS, rows.size(), "distinct identities");
    assertEquals(List.of(), rows.entrySet().stream().filter(e -> e.getValue() != 1).map(Map.Entry::getKey).limit(5).toList(),
        "identities with more than one row");
    List<String> expected = new ArrayList<>(produced);
    Collections.sort(expected);
    List<String> actual = new ArrayList<>(rows.keySet());
    Collections.sort(actual);
    assertEquals(expected, actual);

    // monkey report: Spark reading hdfs://, DuckDB reading the local copy, the same report below the header line.
    String spark = report("--data", dataset, "--engine", "spark", "--master", "local[2]");
    String duckdb = report("--data", copy.toString());
    System.out.println(spark);
    assertTrue(spark.startsWith("Activation Monkey report: " + dataset), spark);
    assertTrue(spark.contains("vision-a") && spark.contains("vision-b"), spark);
    assertEquals(body(duckdb), body(spark));
  }

  private static String report(String... args) {
    StringWriter out = new StringWriter();
    CommandLine cli = Monkey.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(out));
    List<String> all = new ArrayList<>(List.of("report"));
    all.addAll(List.of(args));
    int code = cli.execute(all.toArray(String[]::new));
    assertEquals(0, code, out.toString());
    return out.toString();
  }

  /** The report without its first line (the dataset's path and the engine). */
  private static String body(String report) {
    return report.substring(report.indexOf('\n') + 1);
  }

  /** {@code identity -> rows} of the snapshots table, identity as the producer spelled it. */
  private static Map<String, Long> identities(Path root) throws Exception {
    Map<String, Long> rows = new HashMap<>();
    String identity = String.join(", ", Identity.COLUMNS);
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement()) {
      ResultSet rs = st.executeQuery("SELECT run_id || '/' || partition_id || '/' || iteration || '/' || layer_index || '/' || kind,"
          + " count(*) FROM read_parquet('" + root.resolve("snapshots") + "/**/*.parquet', hive_partitioning = true)"
          + " GROUP BY " + identity);
      while (rs.next()) {
        rows.merge(rs.getString(1), rs.getLong(2), Long::sum);
      }
    }
    return rows;
  }

  private static long dataFiles(FileSystem fs, String dataset) throws Exception {
    org.apache.hadoop.fs.Path snapshots = new org.apache.hadoop.fs.Path(dataset + "/snapshots");
    if (!fs.exists(snapshots)) {
      return 0;
    }
    long count = 0;
    try {
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(snapshots, true);
      while (it.hasNext()) {
        String path = it.next().getPath().toString();
        if (path.endsWith(".parquet") && !path.contains("/_") && !path.contains("/.")) {
          count++;
        }
      }
    } catch (java.io.FileNotFoundException renamedWhileListing) {
      return count;
    }
    return count;
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    Properties p = new Properties();
    p.put("bootstrap.servers", KafkaFixture.shared().bootstrapServers());
    p.put("acks", "all");
    p.put("linger.ms", "5");
    p.put("compression.type", "lz4");
    p.put("delivery.timeout.ms", "600000");
    p.put("request.timeout.ms", "120000");
    p.put("max.block.ms", "600000");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }
}
