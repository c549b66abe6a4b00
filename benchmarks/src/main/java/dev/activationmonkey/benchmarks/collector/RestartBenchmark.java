package dev.activationmonkey.benchmarks.collector;

import dev.activationmonkey.benchmarks.trainer.OverheadBenchmark;
import dev.activationmonkey.collector.cli.CollectCommand;
import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.errors.MonkeyException;
import dev.activationmonkey.localkafka.LocalKafka;
import dev.activationmonkey.localkafka.Topics;
import dev.activationmonkey.snapshot.RecordKeys;
import dev.activationmonkey.snapshot.SnapshotCodec;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.WorkerId;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code monkey bench restart}: how long a collector killed with {@code kill -9} and started again takes to commit
 * its first file, with static group membership ({@code group.instance.id=auto}, the default) and with dynamic
 * membership ({@code none}, the collector before static membership), alternating, while records keep arriving.
 */
@Command(
    name = "restart",
    mixinStandardHelpOptions = true,
    description = {
      "Kill a running collector (its own JVM, `monkey collect`) with kill -9 while records arrive, start it again at once,",
      "and time the restart to its first committed Parquet file: static group membership (group.instance.id=auto,",
      "the default) against dynamic membership (group.instance.id=none), alternating. Prints seconds per arm."
    })
public final class RestartBenchmark implements Callable<Integer> {
  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "A running broker; without it a local broker is started.")
  String bootstrapServers;

  @Option(names = "--rounds", description = "Rounds, each one restart per arm (default: ${DEFAULT-VALUE}).", defaultValue = "1")
  int rounds;

  @Option(names = "--arms", split = ",", paramLabel = "ID", description = "group.instance.id settings to compare (default: ${DEFAULT-VALUE}).",
      defaultValue = "auto,none")
  List<String> arms;

  @Option(names = "--work-dir", paramLabel = "DIR", description = "Where datasets, logs (and the local broker) go; default a temp dir, deleted after.")
  Path workDir;

  private final PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    if (rounds <= 0 || arms.isEmpty()) {
      throw new InvalidInputException("--rounds must be positive and --arms name at least one setting");
    }
    boolean deleteWorkDir = workDir == null;
    Path work = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("monkey-bench-restart");
    LocalKafka broker = null;
    AtomicBoolean producing = new AtomicBoolean(true);
    Thread producer = null;
    try {
      String bootstrap = bootstrapServers;
      if (bootstrap == null) {
        out.println("starting a local Kafka broker in " + work.resolve("kafka") + " ...");
        broker = LocalKafka.builder().dataDir(work.resolve("kafka")).port(0).build().start();
        bootstrap = broker.bootstrapServers();
      }
      String topic = "monkey.bench.restart." + UUID.randomUUID().toString().substring(0, 8);
      String server = bootstrap;
      try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.<String, Object>of("bootstrap.servers", server))) {
        Topics.createReady(admin, topic, Optional.of(4), Optional.of((short) 1), Duration.ofSeconds(60));
      }
      producer = new Thread(() -> produce(server, topic, producing), "bench-producer");
      producer.setDaemon(true);
      producer.start();
      Map<String, List<Double>> seconds = new TreeMap<>();
      int n = 0;
      for (int round = 1; round <= rounds; round++) {
        for (String arm : arms) {
          n++;
          Path dataset = work.resolve("dataset-" + n);
          String group = "bench-restart-" + n;
          Process first = collector(bootstrap, topic, group, arm, dataset, work.resolve("collector-" + n + "-a.log"));
          awaitNewFile(dataset, Set.of(), first, 120);
          first.destroyForcibly(); // SIGKILL: no leave-group, no commit
          first.waitFor(30, TimeUnit.SECONDS);
          Set<Path> before = dataFiles(dataset);
          long start = System.nanoTime();
          Process restarted = collector(bootstrap, topic, group, arm, dataset, work.resolve("collector-" + n + "-b.log"));
          awaitNewFile(dataset, before, restarted, 180);
          double s = (System.nanoTime() - start) / 1e9;
          restarted.destroy();
          restarted.waitFor(30, TimeUnit.SECONDS);
          seconds.computeIfAbsent(arm, k -> new ArrayList<>()).add(s);
          out.printf(Locale.ROOT, "round %d group.instance.id=%-5s restart after kill -9 -> first committed file: %.1f s%n", round, arm, s);
        }
      }
      out.println();
      seconds.forEach((arm, values) -> out.printf(Locale.ROOT, "group.instance.id=%-5s median %.1f s over %d restart(s) %s%n", arm,
          OverheadBenchmark.median(values.stream().mapToDouble(Double::doubleValue).toArray()), values.size(), values.stream().map(v -> String.format(Locale.ROOT, "%.1f", v)).toList()));
      out.println("(JVM start, group join, recovery of the partition from the dataset, and the first commit: flush.idle.ms=500, "
          + "flush.max.age.ms=1000; the broker's session timeout is Kafka's default 45 s)");
      return ExitCode.OK;
    } finally {
      producing.set(false);
      if (producer != null) {
        producer.join(10_000);
      }
      if (broker != null) {
        broker.stop();
      }
      if (deleteWorkDir) {
        CollectorBenchmark.deleteRecursively(work);
      }
    }
  }

  private Process collector(String bootstrap, String topic, String group, String instance, Path dataset, Path log) throws IOException {
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
        "-cp", System.getProperty("java.class.path"), CollectCommand.class.getName(),
        "--bootstrap-servers", bootstrap, "--topics", topic, "--group", group, "--dataset", dataset.toString(),
        "--idle-flush", "500", "--set", "flush.max.age.ms=1000", "--set", "group.instance.id=" + instance, "--quiet");
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** Waits for a committed data file not in {@code before}. */
  private static void awaitNewFile(Path dataset, Set<Path> before, Process collector, int timeoutSeconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (dataFiles(dataset).stream().allMatch(before::contains)) {
      if (!collector.isAlive()) {
        throw new MonkeyException(ExitCode.INTERNAL, "the collector exited with " + collector.exitValue() + " before committing a file");
      }
      if (System.nanoTime() > deadline) {
        collector.destroyForcibly();
        throw new MonkeyException(ExitCode.INTERNAL, "no committed file within " + timeoutSeconds + " s");
      }
      Thread.sleep(20);
    }
  }

  private static Set<Path> dataFiles(Path dataset) throws IOException {
    Path snapshots = dataset.resolve("snapshots");
    if (!Files.exists(snapshots)) {
      return Set.of();
    }
    try (Stream<Path> files = Files.walk(snapshots)) {
      return files.filter(p -> p.toString().endsWith(".parquet")).collect(Collectors.toSet());
    }
  }

  /** A steady stream (~2,000 small snapshots/s over 8 workers) until told to stop. */
  private static void produce(String bootstrap, String topic, AtomicBoolean producing) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("linger.ms", "5");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      SnapshotCodec codec = SnapshotCodec.INSTANCE;
      for (long i = 0; producing.get(); i++) {
        int worker = (int) (i % 8);
        LayerSnapshot s = LayerSnapshot.newBuilder().setRunId("bench-restart")
            .setWorker(WorkerId.newBuilder().setPartitionId(worker).setAttemptNumber(0).setTaskAttemptId(worker).setStageId(1)
                .setExecutorId("0").setHost("h").setThread("t").build())
            .setEpoch(0).setIteration(i / 8).setLayerIndex(0).setLayerName("layer0").setLayerType("DenseLayer")
            .setActivationFunction("relu").setKind(Kind.ACTIVATION).setParameterName(null).setTimestampMillis(Instant.now())
            .setCount(64).setMean(0).setStd(1).setMin(-1).setMax(1).setMeanAbs(0.5).setL2Norm(1).setZeroFraction(0.5)
            .setNearZeroFraction(0.5).setNearZeroThreshold(1e-6).setNanCount(0).setPosInfCount(0).setNegInfCount(0).build();
        producer.send(new ProducerRecord<>(topic, RecordKeys.worker("bench-restart", worker), codec.encode(s)));
        if (i % 100 == 99) {
          Thread.sleep(50);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public static void main(String[] args) {
    CommandLine commandLine = new CommandLine(new RestartBenchmark());
    commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof MonkeyException m) {
        cmd.getErr().println("monkey bench restart: " + m.getMessage());
        return m.exitCode();
      }
      throw e;
    });
    System.exit(commandLine.execute(args));
  }
}
