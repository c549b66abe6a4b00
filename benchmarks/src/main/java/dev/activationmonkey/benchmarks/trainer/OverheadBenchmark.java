package dev.activationmonkey.benchmarks.trainer;

import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.localkafka.LocalKafka;
import dev.activationmonkey.trainer.data.Datasets;
import dev.activationmonkey.trainer.diag.StageTimers;
import dev.activationmonkey.trainer.data.LoadedData;
import dev.activationmonkey.trainer.listener.ListenerConfig;
import dev.activationmonkey.trainer.listener.SnapshotListener;
import dev.activationmonkey.trainer.network.NetworkFactory;
import dev.activationmonkey.trainer.publish.DeliveryTotals;
import dev.activationmonkey.trainer.publish.KafkaSettings;
import dev.activationmonkey.trainer.publish.SnapshotProducer;
import dev.activationmonkey.trainer.spec.JobSpec;
import dev.activationmonkey.trainer.stats.StatsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code monkey bench overhead}: the same network on the same data with snapshot logging off and on, in
 * alternating rounds in one JVM, at the default settings and at every iteration with histograms and
 * per-neuron vectors. Prints samples/s per arm and the ratios logged time / unlogged time.
 *
 * <p>It trains with {@code MultiLayerNetwork.fit} in this JVM with the very listener the Spark workers run:
 * Spark's own cost (task scheduling, parameter averaging) is the same with and without logging, so leaving it
 * out makes the ratio the listener's cost, undiluted.
 */
@Command(name = "overhead", mixinStandardHelpOptions = true,
    description = {"Measure the snapshot listener's training overhead: logging off vs on, alternating rounds in one JVM.",
        "Targets: <= 1.05 at default settings (every 10 iterations), <= 1.30 at every iteration with histograms "
            + "and per-neuron vectors."})
public final class OverheadBenchmark implements Callable<Integer> {

  @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT",
      description = "Kafka to send snapshots to. Without it, a local broker is started for the benchmark.")
  String bootstrapServers;

  @Option(names = "--topic", defaultValue = "monkey.bench.overhead", description = "Topic (default: ${DEFAULT-VALUE}).")
  String topic;

  @Option(names = "--rounds", defaultValue = "20",
      description = "Measured rounds; each runs one block of every arm (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--block-steps", defaultValue = "100",
      description = "Mini-batches per block, a multiple of 10 so every block logs as often (default: ${DEFAULT-VALUE}).")
  int blockSteps;

  @Option(names = "--examples", defaultValue = "8000", description = "MNIST examples per round (default: ${DEFAULT-VALUE}).")
  int examples;

  @Option(names = "--batch-size", defaultValue = "64", description = "Mini-batch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--skip-every", description = "Leave out the every-iteration arm (quicker runs of the default arm).")
  boolean skipEvery;

  @Option(names = "--attached-arm", description = "Add an arm with the listener attached but never logging: the fixed "
      + "per-iteration cost of having a listener at all.")
  boolean attachedArm;

  @Option(names = "--control-arm", description = "Add a second unlogged arm (its own network): its ratio to the first "
      + "is this machine's noise floor for the figures.")
  boolean controlArm;

  private record Arm(String name, ListenerConfig config) {}

  @Override
  public Integer call() throws Exception {
    if (rounds < 1 || blockSteps < 10 || blockSteps % 10 != 0) {
      throw new InvalidInputException("--rounds must be at least 1 (was " + rounds + ") and --block-steps a positive "
          + "multiple of 10 (was " + blockSteps + "), so that every block of the default arm logs equally often");
    }
    LocalKafka broker = null;
    String servers = bootstrapServers;
    if (servers == null) {
      Path dir = Files.createTempDirectory("monkey-bench-kafka");
      // Niceness 19: the broker takes only CPU that training leaves idle, as a broker on its own hosts would; the
      // producer's own work (encoding, compression, sending) stays in this JVM and in the figures.
      broker = LocalKafka.builder().dataDir(dir).port(0).niceness(19).build();
      broker.start();
      broker.createTopic(topic, 2);
      servers = broker.bootstrapServers();
    }
    try {
      return run(servers);
    } finally {
      SnapshotProducer.closeAll();
      if (broker != null) {
        broker.stop();
      }
    }
  }

  private int run(String servers) {
    JobSpec demo = JobSpec.demo();
    LoadedData data = Datasets.load(new dev.activationmonkey.trainer.spec.DataSpec("mnist", "bundled", null, 0.0,
        examples, batchSize, 42, "scale", 0, false, ",", 0, null));
    List<DataSet> batches = data.train().batchBy(batchSize);
    MultiLayerConfiguration conf = NetworkFactory.build(demo.network(), 12345, data.features(), data.classes());
    KafkaSettings kafka = demo.logging().kafka().withBootstrapServers(servers).withTopic(topic);
    StatsOptions defaults = demo.logging().stats();
    List<Arm> all = List.of(
        new Arm("off", null),
        new Arm("default (every 10; histograms: activations, gradients)", new ListenerConfig("bench-default",
            ListenerConfig.allKinds(), 10, new StatsOptions(defaults.histogramBins(), true, 0, 4096,
            defaults.nearZeroThreshold()), demo.logging().histogramKinds(), kafka, -1, 0)),
        new Arm("every iteration (all histograms, neurons)", new ListenerConfig("bench-every", ListenerConfig.allKinds(), 1,
            new StatsOptions(defaults.histogramBins(), true, 0, 4096, defaults.nearZeroThreshold()), kafka, -1, 0)));
    List<Arm> arms = new ArrayList<>(skipEvery ? all.subList(0, 2) : all);
    if (attachedArm) {
      arms.add(new Arm("attached (listener on, never logging)", new ListenerConfig("bench-attached",
          ListenerConfig.allKinds(), Integer.MAX_VALUE, defaults, kafka, -1, 0)));
    }
    if (controlArm) {
      arms.add(new Arm("control (logging off, a second network)", null));
    }
    System.out.printf(Locale.ROOT, "overhead benchmark: single-JVM MultiLayerNetwork.fit with the workers' listener "
            + "(Spark's own cost is the same in both arms)%nnetwork 784-256-128-10 (demo job), %,d MNIST examples, "
            + "batch %d, %d ND4J thread(s) per op (OMP_NUM_THREADS); %d rounds of one %d-step block per arm (+ %d warm-up rounds), arms "
            + "interleaved; Kafka %s topic %s%n",
        batches.stream().mapToInt(DataSet::numExamples).sum(), batchSize, Nd4j.getEnvironment().maxThreads(), rounds, blockSteps,
        WARM_UP_ROUNDS, servers, topic);
    // Every arm trains its own network for the whole run, one block of steps per round; a round runs one block of
    // each arm back to back, in a rotating order. The machine's speed drifts over seconds (other processes, a shared
    // host), far more than the listener costs: each logged block is compared with the unlogged block of its own
    // round, and the figure is the median of those per-round ratios.
    List<Trained> trained = new ArrayList<>();
    for (Arm arm : arms) {
      trained.add(new Trained(arm, conf));
    }
    double[][] seconds = new double[arms.size()][rounds];
    double[][] cpu = new double[arms.size()][rounds];
    double[][] gc = new double[arms.size()][rounds];
    int cursor = 0;
    for (int round = -WARM_UP_ROUNDS; round < rounds; round++) {
      if (round == 0) {
        StageTimers.reset(); // the warm-up's JIT and broker start-up are not the listener's steady cost
        loggedSteps = 0;
        trained.forEach(Trained::resetCounts);
      }
      for (int k = 0; k < arms.size(); k++) {
        int a = Math.floorMod(k + round, arms.size());
        long cpuStart = processCpuNanos();
        long gcStart = gcMillis();
        double s = trained.get(a).block(batches, cursor, blockSteps);
        if (round >= 0) {
          seconds[a][round] = s;
          cpu[a][round] = (processCpuNanos() - cpuStart) / 1e9;
          gc[a][round] = gcMillis() - gcStart;
        }
      }
      cursor = (cursor + blockSteps) % batches.size();
      if (round >= 0) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %2d:", round + 1));
        for (int a = 0; a < arms.size(); a++) {
          line.append(String.format(Locale.ROOT, "  %s %.3f s", arms.get(a).name().split(" ")[0], seconds[a][round]));
          if (a > 0) {
            line.append(String.format(Locale.ROOT, " (%.2fx)", seconds[a][round] / seconds[0][round]));
          }
        }
        System.out.println(line);
      }
    }
    int perBlock = trained.get(0).examples(batches, blockSteps);
    double off = median(seconds[0]);
    System.out.printf(Locale.ROOT, "%-55s %,10.0f samples/s  %.3f CPU-s/block  GC pauses %.1f ms/block%n",
        "logging off:", perBlock / off, median(cpu[0]), mean(gc[0]));
    double[] targets = new double[arms.size()];
    Arrays.fill(targets, 1.05);
    if (!skipEvery) {
      targets[2] = 1.30;
    }
    for (int a = 1; a < arms.size(); a++) {
      double[] ratios = new double[rounds];
      double[] cpuRatios = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        ratios[r] = seconds[a][r] / seconds[0][r];
        cpuRatios[r] = cpu[a][r] / cpu[0][r];
      }
      double ratio = median(ratios);
      double[] sorted = ratios.clone();
      Arrays.sort(sorted);
      System.out.printf(Locale.ROOT, "%-55s %,10.0f samples/s  ratio %.3f (quartiles %.3f-%.3f; target <= %.2f: %s)"
              + "  %,d snapshots/block  CPU ratio %.3f  GC pauses %.1f ms/block%n",
          arms.get(a).name() + ":", perBlock / median(seconds[a]), ratio, quantile(sorted, 0.25),
          quantile(sorted, 0.75), targets[a], ratio <= targets[a] ? "met" : "MISSED", trained.get(a).snapshots() / rounds,
          median(cpuRatios), mean(gc[a]));
    }
    if (StageTimers.ENABLED) {
      long logged = Math.max(1, loggedSteps);
      System.out.printf(Locale.ROOT, "listener stage timers (all logged arms and rounds, %,d logged steps):%n%s", logged,
          StageTimers.report(logged, "logged step"));
    }
    return ExitCode.OK;
  }

  private static final int WARM_UP_ROUNDS = 3;
  private static long loggedSteps;

  /** One arm's network and listener, trained a block of steps at a time. */
  private static final class Trained {
    private final Arm arm;
    private final MultiLayerNetwork net;
    private final SnapshotListener listener;
    private long snapshotsBefore;

    Trained(Arm arm, MultiLayerConfiguration conf) {
      this.arm = arm;
      this.net = new MultiLayerNetwork(conf.clone());
      net.init();
      this.listener = arm.config() == null ? null : new SnapshotListener(arm.config(), null);
      if (listener != null) {
        net.setListeners(listener);
      }
    }

    /** Trains {@code steps} mini-batches from {@code cursor} on, delivery of the block's snapshots included. */
    double block(List<DataSet> batches, int cursor, int steps) {
      long start = System.nanoTime();
      for (int i = 0; i < steps; i++) {
        net.fit(batches.get((cursor + i) % batches.size()));
      }
      if (listener != null) {
        listener.flush(); // delivery is part of the cost, and none of it may spill into the next arm's block
        int every = arm.config().every();
        long before = net.getIterationCount() - steps;
        loggedSteps += (net.getIterationCount() + every - 1) / every - (before + every - 1) / every;
      }
      return (System.nanoTime() - start) / 1e9;
    }

    int examples(List<DataSet> batches, int steps) {
      int total = 0;
      for (int i = 0; i < steps; i++) {
        total += batches.get(i % batches.size()).numExamples();
      }
      return total;
    }

    void resetCounts() {
      snapshotsBefore = listener == null ? 0 : sent();
    }

    long snapshots() {
      return listener == null ? 0 : sent() - snapshotsBefore;
    }

    private long sent() {
      DeliveryTotals totals = listener.localTotals();
      return totals.sent() + totals.spilled();
    }
  }

  private static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }

  /**
   * CPU time of this JVM (training, ND4J's threads, the publishing thread, GC), not of the broker: on a loaded machine
   * it varies far less between rounds than wall time, so its ratio is the steadier measure of the listener's cost.
   */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** Milliseconds this JVM's collectors have spent in pauses (G1: young and mixed pauses, and full collections). */
  private static long gcMillis() {
    long total = 0;
    for (java.lang.management.GarbageCollectorMXBean bean : java.lang.management.ManagementFactory
        .getGarbageCollectorMXBeans()) {
      if (!bean.getName().contains("Concurrent")) { // G1's concurrent cycle runs beside the application
        total += Math.max(0, bean.getCollectionTime());
      }
    }
    return total;
  }

  private static double mean(double[] values) {
    return Arrays.stream(values).average().orElse(0);
  }

  /** The median (of per-round ratios or times); shared by the benchmarks. */
  public static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new OverheadBenchmark()).execute(args));
  }
}
