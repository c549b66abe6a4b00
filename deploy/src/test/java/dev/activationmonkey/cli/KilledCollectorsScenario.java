package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.analytics.Identity;
import dev.activationmonkey.collector.CollectorConfig;
import dev.activationmonkey.collector.TestRecords;
import dev.activationmonkey.collector.cli.CollectCommand;
import dev.activationmonkey.localkafka.KafkaBroker;
import dev.activationmonkey.localkafka.LocalKafka;
import dev.activationmonkey.snapshot.RecordKeys;
import dev.activationmonkey.snapshot.SnapshotCodec;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
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
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;

/**
 * What the dataset ITs on remote file systems ({@link HdfsDatasetIT}, {@link S3DatasetIT}) share: a stream of two
 * runs' records into a real broker, {@code monkey collect} processes writing it to the dataset through Hadoop and
 * killed with SIGKILL mid-stream, in-process collectors to finish it, and the checks: every produced snapshot once
 * in the Parquet files, and {@code monkey report --engine spark} over the remote URI printing, below its header
 * line, what the DuckDB engine prints over a local copy of the same files.
 */
final class KilledCollectorsScenario {
  static final int ITERATIONS = 1_200;
  static final int WORKERS = 2;
  static final int LAYERS = 2;
  static final int PER_ITERATION = WORKERS * LAYERS * Kind.values().length;
  static final int SNAPSHOTS = ITERATIONS * PER_ITERATION; // 19,200

  private final String name;
  private final KafkaBroker kafka;
  private final FileSystem fs;
  private final String dataset;
  private final Map<String, String> hadoop;
  private final Path logs;
  private final List<String> produced = Collections.synchronizedList(new ArrayList<>());
  private final CountDownLatch lastQuarter = new CountDownLatch(1);
  private final AtomicReference<Throwable> producerFailure = new AtomicReference<>();
  private String topic;
  private Thread producer;

  /**
   * @param name names the topic, the group, the log folder ({@code target/<name>-it-logs}) and the printed lines
   * @param hadoop Hadoop settings the collectors and the Spark report need to reach {@code dataset}
   */
  KilledCollectorsScenario(String name, KafkaBroker kafka, FileSystem fs, String dataset, Map<String, String> hadoop) {
    this.name = name;
    this.kafka = kafka;
    this.fs = fs;
    this.dataset = dataset;
    this.hadoop = Map.copyOf(hadoop);
    try {
      this.logs = Files.createDirectories(Path.of("target", name + "-it-logs"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String group() {
    return "g-" + name;
  }

  /**
   * Starts the stream: two runs' starts, snapshots at ~2,000 a second with an evaluation per epoch, the runs' ends.
   * The last quarter waits for {@link #releaseLastQuarter()}, so that kills and fences happen while records arrive.
   */
  void startProducing() throws Exception {
    topic = name + "-dataset";
    kafka.createTopic(topic, 3);
    producer = new Thread(() -> {
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
                String identity = run + "/" + worker + "/" + iteration + "/" + layer + "/" + kind.name().toLowerCase(Locale.ROOT);
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
      } catch (RuntimeException | Error e) {
        producerFailure.set(e);
      }
    });
    producer.setDaemon(true);
    producer.start();
  }

  /**
   * {@code monkey collect} processes of {@link #group()}, each killed with SIGKILL once it has committed.
   *
   * @param maxAge their {@code flush.max.age.ms}: many commits, so that a kill lands in the middle of some
   */
  void killCollectors(int kills, Duration maxAge) throws Exception {
    long started = System.nanoTime();
    Random random = new Random(15);
    for (int run = 0; run < kills; run++) {
      Process collector = startCollector(run, maxAge);
      long files = dataFiles();
      long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
      while (dataFiles() == files && System.nanoTime() < deadline && collector.isAlive()) {
        Thread.sleep(50); // until it has committed at least once
      }
      assertTrue(collector.isAlive(), "collector " + run + " died on its own: "
          + Files.readString(logs.resolve("collector-" + run + ".log")));
      Thread.sleep(random.nextInt(1500));
      collector.destroyForcibly(); // SIGKILL, mid-stream
      collector.waitFor(30, TimeUnit.SECONDS);
      assertEquals(1, lastQuarter.getCount(), "killed while records arrived");
    }
    System.out.printf("%s: %d kills in %.1f s%n", label(), kills, (System.nanoTime() - started) / 1e9);
  }

  /** {@code monkey collect} in its own JVM, writing to the dataset. */
  private Process startCollector(int run, Duration maxAge) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
        "-cp", System.getProperty("java.class.path"),
        CollectCommand.class.getName(),
        "--bootstrap-servers", kafka.bootstrapServers(),
        "--topics", topic,
        "--group", group(),
        "--dataset", dataset,
        "--rotate-records", "1000",
        "--idle-flush", "500",
        "--set", "kafka.session.timeout.ms=10000",
        "--set", "flush.max.age.ms=" + maxAge.toMillis(),
        "--set", "status.interval.ms=1000"));
    hadoop.forEach((key, value) -> command.addAll(List.of("--set", "hadoop." + key + "=" + value)));
    return new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(logs.resolve("collector-" + run + ".log").toFile()).start();
  }

  /** An in-process collector of the stream, writing to the dataset. */
  CollectorConfig.Builder inProcess(String group, long rotate) {
    CollectorConfig.Builder config = CollectorConfig.builder().bootstrapServers(kafka.bootstrapServers()).topics(topic)
        .groupId(group).datasetRoot(dataset).rotateRecords(rotate).flushIdle(Duration.ofSeconds(1))
        .statusInterval(Duration.ofSeconds(2)).set("kafka.session.timeout.ms", "10000");
    hadoop.forEach((key, value) -> config.set("hadoop." + key, value));
    return config;
  }

  void releaseLastQuarter() {
    lastQuarter.countDown();
  }

  /** Waits for the last record to be acknowledged; every snapshot was. */
  void awaitProduced() throws InterruptedException {
    producer.join(TimeUnit.MINUTES.toMillis(5));
    assertNull(producerFailure.get());
    assertEquals(SNAPSHOTS, produced.size(), () -> (producer.isAlive() ? "acknowledgements still awaited after 5 min"
        : "the producer ended") + (kafka instanceof LocalKafka local ? "; the broker's log: " + local.logFile() : ""));
  }

  /**
   * A local copy of the files, read by DuckDB: every produced snapshot once, one row per identity. Then {@code monkey
   * report}: Spark reading the dataset's URI, DuckDB reading the local copy, the same report below the header line.
   */
  void assertEveryRecordOnceAndSparkReportsWhatDuckDbReportsLocally(Path temp) throws Exception {
    Path copy = temp.resolve("copy");
    long started = System.nanoTime();
    fs.copyToLocalFile(false, new org.apache.hadoop.fs.Path(dataset), new org.apache.hadoop.fs.Path(copy.toUri()), true);
    System.out.printf("%s: copied the dataset (%d data files) in %.1f s%n", label(), dataFiles(),
        (System.nanoTime() - started) / 1e9);
    Map<String, Long> rows = identities(copy);
    assertEquals(SNAPSHOTS, rows.size(), "distinct identities");
    assertEquals(List.of(), rows.entrySet().stream().filter(e -> e.getValue() != 1).map(Map.Entry::getKey).limit(5).toList(),
        "identities with more than one row");
    List<String> expected = new ArrayList<>(produced);
    Collections.sort(expected);
    List<String> actual = new ArrayList<>(rows.keySet());
    Collections.sort(actual);
    assertEquals(expected, actual);

    started = System.nanoTime();
    String spark = sparkReport();
    System.out.printf("%s: Spark report over %s in %.1f s%n", label(), dataset, (System.nanoTime() - started) / 1e9);
    String duckdb = report("--data", copy.toString());
    System.out.println(spark);
    assertTrue(spark.startsWith("Activation Monkey report: " + dataset), spark);
    assertTrue(spark.contains("vision-a") && spark.contains("vision-b"), spark);
    assertEquals(body(duckdb), body(spark));
  }

  /**
   * {@code monkey report --engine spark} with the Hadoop settings as {@code spark.hadoop.*} JVM properties, as a user
   * passes them ({@code MONKEY_JAVA_OPTS=-Dspark.hadoop.fs.s3a.endpoint=...}); Spark's configuration reads them.
   */
  private String sparkReport() {
    hadoop.forEach((key, value) -> System.setProperty("spark.hadoop." + key, value));
    try {
      return report("--data", dataset, "--engine", "spark", "--master", "local[2]");
    } finally {
      hadoop.keySet().forEach(key -> System.clearProperty("spark.hadoop." + key));
    }
  }

  private String label() {
    return Character.toUpperCase(name.charAt(0)) + name.substring(1) + "DatasetIT";
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

  /** Visible Parquet files of the snapshots table. */
  long dataFiles() throws IOException {
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

  private KafkaProducer<byte[], byte[]> producer() {
    Properties p = new Properties();
    p.put("bootstrap.servers", kafka.bootstrapServers());
    p.put("acks", "all");
    p.put("linger.ms", "5");
    p.put("compression.type", "lz4");
    p.put("delivery.timeout.ms", "600000");
    p.put("request.timeout.ms", "120000");
    p.put("max.block.ms", "600000");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }
}
