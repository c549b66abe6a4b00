package dev.activationmonkey.benchmarks.collector;

import dev.activationmonkey.collector.Collector;
import dev.activationmonkey.collector.CollectorConfig;
import dev.activationmonkey.collector.CollectorStats;
import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.errors.MonkeyException;
import dev.activationmonkey.localkafka.LocalKafka;
import dev.activationmonkey.localkafka.Topics;
import dev.activationmonkey.snapshot.RecordKeys;
import dev.activationmonkey.snapshot.SnapshotCodec;
import dev.activationmonkey.snapshot.avro.Histogram;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.NeuronStats;
import dev.activationmonkey.snapshot.avro.NeuronUnit;
import dev.activationmonkey.snapshot.avro.WorkerId;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code monkey bench collector}: the collector writing Parquet against Kafka's own
 * {@code ConsumerPerformance} reading the same topic, alternating in one run.
 */
@Command(
    name = "collector",
    mixinStandardHelpOptions = true,
    description = {
      "Produce N realistic snapshot records, then measure the collector (Kafka -> Parquet, exactly once) against",
      "Kafka's own ConsumerPerformance reading the same topic, alternating rounds in one run.",
      "Prints records/s, MB/s, the ratio collector/raw and the collector's peak heap. Target: ratio >= 0.5."
    })
public final class CollectorBenchmark implements Callable<Integer> {
  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "A running broker; without it a local broker is started (needs the broker jars: -Dmonkey.kafka.lib or MONKEY_KAFKA_LIB).")
  String bootstrapServers;

  @Option(names = {"-n", "--records"}, description = "Records to produce (default: ${DEFAULT-VALUE}).", defaultValue = "300000")
  int records;

  @Option(names = "--partitions", description = "Topic partitions (default: ${DEFAULT-VALUE}).", defaultValue = "4")
  int partitions;

  @Option(names = "--runs", description = "Training runs the records belong to (default: ${DEFAULT-VALUE}).", defaultValue = "2")
  int runs;

  @Option(names = "--layers", split = ",", paramLabel = "UNITS", description = "Units of each dense layer of the simulated network, input excluded "
      + "(default: ${DEFAULT-VALUE}, the demo's 784-256-128-10 MLP): one activation snapshot per layer with per-neuron vectors this long.",
      defaultValue = "256,128,10")
  int[] layers;

  @Option(names = "--histogram-kinds", split = ",", paramLabel = "KIND", description = "Kinds whose snapshots carry a histogram "
      + "(default: ${DEFAULT-VALUE}, the trainer's logging.histogram-kinds default).", defaultValue = "ACTIVATION,GRADIENT")
  java.util.Set<Kind> histogramKinds;

  @Option(names = "--rounds", description = "Alternating rounds of raw consumer and collector (default: ${DEFAULT-VALUE}).", defaultValue = "3")
  int rounds;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A collector configuration key for the measured collector, e.g. --set parquet.zstd.level=1 (repeatable).")
  java.util.Map<String, String> settings = new java.util.LinkedHashMap<>();

  @Option(names = "--work-dir", paramLabel = "DIR", description = "Where datasets (and the local broker) go; default a temp dir, deleted after.")
  Path workDir;

  private final PrintStream out = System.out;

  /** One measured run of either side. */
  record Measurement(String side, long records, long bytes, double seconds, long peakHeapBytes, long files, double cpuSeconds) {
    double recordsPerSecond() {
      return records / seconds;
    }

    double megabytesPerSecond() {
      return bytes / 1e6 / seconds;
    }
  }

  @Override
  public Integer call() throws Exception {
    if (records <= 0 || partitions <= 0 || runs <= 0 || rounds <= 0 || layers.length == 0 || java.util.Arrays.stream(layers).anyMatch(u -> u <= 0)) {
      throw new InvalidInputException("--records, --partitions, --runs, --rounds and every --layers size must be positive");
    }
    boolean deleteWorkDir = workDir == null;
    Path work = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("monkey-bench-collector");
    LocalKafka broker = null;
    try {
      String bootstrap = bootstrapServers;
      if (bootstrap == null) {
        out.println("starting a local Kafka broker in " + work.resolve("kafka") + " ...");
        broker = LocalKafka.builder().dataDir(work.resolve("kafka")).port(0).build().start();
        bootstrap = broker.bootstrapServers();
      }
      String topic = "monkey.bench." + UUID.randomUUID().toString().substring(0, 8);
      createTopic(bootstrap, topic);
      long bytes = produce(bootstrap, topic);

      // One untimed collector run first: the JIT compiles the decode/write path, as it has in a collector
      // that has been running for a while. (ConsumerPerformance runs in a fresh JVM each round; its
      // per-record work is Kafka's fetch path only.)
      Measurement warmUp = runCollector(bootstrap, topic, bytes, work.resolve("dataset-warm-up"));
      out.printf(Locale.ROOT, "warm-up collector run: %,.0f records/s (not counted)%n", warmUp.recordsPerSecond());
      List<Measurement> raw = new ArrayList<>();
      List<Measurement> collector = new ArrayList<>();
      for (int round = 1; round <= rounds; round++) {
        raw.add(runConsumerPerformance(bootstrap, topic, bytes));
        print(round, raw.get(raw.size() - 1));
        collector.add(runCollector(bootstrap, topic, bytes, work.resolve("dataset-" + round)));
        print(round, collector.get(collector.size() - 1));
      }
      double rawRate = median(raw.stream().map(Measurement::recordsPerSecond).toList());
      double collectorRate = median(collector.stream().map(Measurement::recordsPerSecond).toList());
      double rawMb = median(raw.stream().map(Measurement::megabytesPerSecond).toList());
      double collectorMb = median(collector.stream().map(Measurement::megabytesPerSecond).toList());
      long peak = collector.stream().mapToLong(Measurement::peakHeapBytes).max().orElse(0);
      double cpuPerRecord = median(collector.stream().map(m -> m.cpuSeconds() * 1e6 / m.records()).toList());
      out.println();
      out.printf(Locale.ROOT, "records: %,d (%,.1f MB, %,d B/record avg), %d partitions, %d runs, layers %s, histograms on %s%n",
          records, bytes / 1e6, bytes / records, partitions, runs, java.util.Arrays.toString(layers), histogramKinds);
      out.printf(Locale.ROOT, "raw consumer (ConsumerPerformance): %,.0f records/s, %,.1f MB/s (median of %d)%n", rawRate, rawMb, rounds);
      out.printf(Locale.ROOT, "collector (Kafka -> Parquet):       %,.0f records/s, %,.1f MB/s (median of %d)%n", collectorRate, collectorMb, rounds);
      // Each round's collector run against the raw run just before it: the two see the same machine load,
      // which on a shared machine drifts more between rounds than between the two sides of one round.
      List<Double> paired = new ArrayList<>();
      for (int i = 0; i < rounds; i++) {
        paired.add(collector.get(i).recordsPerSecond() / raw.get(i).recordsPerSecond());
      }
      out.printf(Locale.ROOT, "ratio collector/raw: %.2f median of the rounds' ratios %s (target >= 0.5); ratio of the medians %.2f%n",
          median(paired), paired.stream().map(r -> String.format(Locale.ROOT, "%.2f", r)).toList(), collectorRate / rawRate);
      out.printf(Locale.ROOT, "collector CPU (whole JVM, all threads): %.1f us/record (median of %d; load-independent, unlike the rates)%n", cpuPerRecord, rounds);
      out.printf(Locale.ROOT, "collector peak heap used: %,d MiB (max heap %,d MiB)%n", peak >> 20, Runtime.getRuntime().maxMemory() >> 20);
      long parquetBytes = sizeOf(work.resolve("dataset-1").resolve("snapshots"));
      out.printf(Locale.ROOT, "Parquet size: %,.1f MB for %,.1f MB of Kafka values (%.2fx)%n", parquetBytes / 1e6, bytes / 1e6, (double) parquetBytes / bytes);
      return ExitCode.OK;
    } finally {
      if (broker != null) {
        broker.stop();
      }
      if (deleteWorkDir) {
        deleteRecursively(work);
      }
    }
  }

  private void print(int round, Measurement m) {
    out.printf(Locale.ROOT, "round %d %-9s %,10.0f records/s %8.1f MB/s  (%,d records in %.2f s%s)%n", round, m.side(),
        m.recordsPerSecond(), m.megabytesPerSecond(), m.records(), m.seconds(),
        m.side().equals("collector") ? String.format(Locale.ROOT, ", %d files, peak heap %,d MiB, CPU %.1f s = %.1f us/record", m.files(),
            m.peakHeapBytes() >> 20, m.cpuSeconds(), m.cpuSeconds() * 1e6 / m.records()) : "");
  }

  private void createTopic(String bootstrap, String topic) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    try (var admin = org.apache.kafka.clients.admin.Admin.create(p)) {
      Topics.createReady(admin, topic, Optional.of(partitions), Optional.of((short) 1), Duration.ofSeconds(60));
    }
  }

  /**
   * Snapshots as the trainer's listener sends them for one logged step of one worker: the forward pass's
   * activations of every layer (histogram, per-neuron firing rate and mean activation), then the W and b
   * gradients of every layer, then after the step their updates and values. Histograms only on the kinds
   * in {@code --histogram-kinds}. For the demo's MLP that is 3 + 6 + 6 + 6 = 21 records per step.
   */
  private long produce(String bootstrap, String topic) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("acks", "1");
    p.put("linger.ms", "10");
    p.put("batch.size", String.valueOf(512 * 1024));
    p.put("compression.type", "lz4");
    long bytes = 0;
    long start = System.nanoTime();
    Random random = new Random(7);
    int workers = partitions * 2;
    List<Object[]> step = new ArrayList<>(); // {kind, layer, parameter}
    for (int l = 0; l < layers.length; l++) {
      step.add(new Object[] {Kind.ACTIVATION, l, null});
    }
    for (Kind kind : List.of(Kind.GRADIENT, Kind.UPDATE, Kind.PARAMETER)) {
      for (int l = 0; l < layers.length; l++) {
        step.add(new Object[] {kind, l, "W"});
        step.add(new Object[] {kind, l, "b"});
      }
    }
    int produced = 0;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      // Workers of all runs take turns, one logged step (a burst of step.size() records) each.
      for (long iteration = 0; produced < records; iteration += 10) {
        for (int w = 0; w < workers * runs && produced < records; w++) {
          String runId = "bench-run-" + (w % runs);
          int worker = w / runs;
          for (int i = 0; i < step.size() && produced < records; i++, produced++) {
            Object[] s = step.get(i);
            LayerSnapshot snapshot = snapshot(runId, worker, iteration, (int) s[1], (Kind) s[0], (String) s[2], random);
            byte[] value = SnapshotCodec.INSTANCE.encode(snapshot);
            bytes += value.length;
            producer.send(new ProducerRecord<>(topic, RecordKeys.worker(runId, worker), value));
          }
        }
      }
      producer.flush();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    out.printf(Locale.ROOT, "produced %,d records (%,.1f MB) to %s in %.1f s%n", records, bytes / 1e6, topic, seconds);
    return bytes;
  }

  private LayerSnapshot snapshot(String runId, int worker, long iteration, int layer, Kind kind, String parameter, Random random) {
    int units = layers[layer];
    int inputs = layer == 0 ? 784 : layers[layer - 1];
    boolean output = layer == layers.length - 1;
    long count = kind == Kind.ACTIVATION ? 64L * units : "W".equals(parameter) ? (long) inputs * units : units;
    LayerSnapshot.Builder b = LayerSnapshot.newBuilder()
        .setRunId(runId)
        .setWorker(WorkerId.newBuilder().setPartitionId(worker).setAttemptNumber(0).setTaskAttemptId(worker + 100L).setStageId(2)
            .setExecutorId(String.valueOf(worker % 2)).setHost("worker-" + worker % 2).setThread("Executor task launch worker-" + worker).build())
        .setEpoch((int) (iteration / 900)).setIteration(iteration).setLayerIndex(layer).setLayerName("layer" + layer)
        .setLayerType(output ? "OutputLayer" : "DenseLayer").setActivationFunction(output ? "softmax" : "relu")
        .setKind(kind).setParameterName(kind == Kind.ACTIVATION ? null : parameter)
        .setTimestampMillis(Instant.ofEpochMilli(1_700_000_000_000L + iteration * 50))
        .setCount(count).setMean(random.nextGaussian() * 0.1).setStd(Math.abs(random.nextGaussian())).setMin(-random.nextDouble())
        .setMax(random.nextDouble() * 4).setMeanAbs(random.nextDouble()).setL2Norm(random.nextDouble() * 30)
        .setZeroFraction(random.nextDouble() * 0.6).setNearZeroFraction(random.nextDouble() * 0.7).setNearZeroThreshold(1e-6)
        .setNanCount(0).setPosInfCount(0).setNegInfCount(0)
        .setSaturatedFraction(kind == Kind.ACTIVATION && output ? random.nextDouble() : null);
    if (histogramKinds.contains(kind)) {
      List<Double> edges = new ArrayList<>(21);
      List<Long> counts = new ArrayList<>(20);
      double low = -random.nextDouble();
      double width = random.nextDouble() / 10 + 1e-3;
      for (int bin = 0; bin <= 20; bin++) {
        edges.add(low + bin * width);
        if (bin < 20) {
          counts.add((long) random.nextInt((int) Math.min(Integer.MAX_VALUE, count / 4 + 1)));
        }
      }
      b.setHistogram(Histogram.newBuilder().setEdges(edges).setCounts(counts).build());
    }
    if (kind == Kind.ACTIVATION) {
      List<Float> rates = new ArrayList<>(units);
      List<Float> means = new ArrayList<>(units);
      for (int u = 0; u < units; u++) {
        rates.add(random.nextInt(65) / 64f); // a share of the 64 examples
        means.add(random.nextFloat() * 2);
      }
      b.setNeurons(NeuronStats.newBuilder().setUnit(NeuronUnit.NEURON).setExamples(64).setFiringRate(rates).setMeanActivation(means).build());
    }
    return b.build();
  }

  /** Kafka's own consumer benchmark, in its own JVM from the broker's jars, a fresh group each time. */
  private Measurement runConsumerPerformance(String bootstrap, String topic, long bytes) throws IOException, InterruptedException {
    String lib = System.getProperty(LocalKafka.LIB_PROPERTY, System.getenv(LocalKafka.LIB_ENV));
    if (lib == null) {
      throw new InvalidInputException("where are Kafka's jars (for ConsumerPerformance)? Set -D" + LocalKafka.LIB_PROPERTY + " or " + LocalKafka.LIB_ENV);
    }
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
        "-cp", Path.of(lib).resolve("*").toString(), "org.apache.kafka.tools.ConsumerPerformance",
        "--bootstrap-server", bootstrap, "--topic", topic, "--messages", String.valueOf(records),
        "--group", "bench-raw-" + UUID.randomUUID(), "--timeout", "120000");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
      throw new MonkeyException(ExitCode.INTERNAL, "ConsumerPerformance failed:\n" + output);
    }
    // Header: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
    // rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec. Use the fetch time: like the
    // collector's measurement below, it leaves the group join out.
    String[] lines = output.strip().split("\n");
    String[] fields = lines[lines.length - 1].split(",\\s*");
    if (fields.length < 10) {
      throw new MonkeyException(ExitCode.INTERNAL, "unexpected ConsumerPerformance output:\n" + output);
    }
    long consumed = Long.parseLong(fields[4].trim());
    double fetchSeconds = Double.parseDouble(fields[7].trim()) / 1000.0;
    return new Measurement("raw", consumed, bytes * consumed / records, fetchSeconds, 0, 0, 0);
  }

  private Measurement runCollector(String bootstrap, String topic, long bytes, Path dataset) throws Exception {
    CollectorConfig.Builder builder = CollectorConfig.builder()
        .bootstrapServers(bootstrap)
        .topics(topic)
        .groupId("bench-collector-" + UUID.randomUUID())
        .datasetRoot(dataset.toString())
        .statusInterval(Duration.ofSeconds(5))
        .set(CollectorConfig.DEAD_LETTER_TOPIC, topic + ".dlq");
    settings.forEach(builder::set);
    CollectorConfig config = builder.build();
    System.gc();
    HeapSampler sampler = new HeapSampler();
    sampler.start();
    long start;
    CollectorStats stats;
    try (Collector collector = Collector.start(config, s -> {})) {
      // Leave the group join out (as ConsumerPerformance's fetch time does): start when partitions are assigned.
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (collector.stats().partitions() < partitions && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      start = System.nanoTime();
      long cpuStart = processCpuNanos();
      collector.awaitCaughtUp(Duration.ofMinutes(10));
      double seconds = (System.nanoTime() - start) / 1e9;
      double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
      stats = collector.stats();
      sampler.interrupt();
      sampler.join();
      if (stats.recordsWritten() != records) {
        throw new MonkeyException(ExitCode.INTERNAL, "the collector wrote " + stats.recordsWritten() + " records, expected " + records);
      }
      return new Measurement("collector", stats.recordsWritten(), bytes, seconds, sampler.peak, stats.filesWritten(), cpuSeconds);
    }
  }

  /** CPU time of this JVM, all threads (GC included): the collector's cost, whatever else the machine runs. */
  private static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : 0;
  }

  /** Samples the heap in use every 20 ms (an upper bound of the live set: it includes garbage not yet collected). */
  private static final class HeapSampler extends Thread {
    volatile long peak;

    HeapSampler() {
      super("heap-sampler");
      setDaemon(true);
    }

    @Override
    public void run() {
      List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
      while (!isInterrupted()) {
        long used = pools.stream().mapToLong(p -> p.getUsage().getUsed()).sum();
        peak = Math.max(peak, used);
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static long sizeOf(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }

  static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    }
  }

  public static void main(String[] args) {
    CommandLine commandLine = new CommandLine(new CollectorBenchmark());
    commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof MonkeyException m) {
        cmd.getErr().println("monkey bench collector: " + m.getMessage());
        return m.exitCode();
      }
      throw e;
    });
    System.exit(commandLine.execute(args));
  }
}
