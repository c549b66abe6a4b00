package dev.activationmonkey.trainer.bench;

import dev.activationmonkey.errors.ExitCode;
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

  @Option(names = "--rounds", defaultValue = "5", description = "Measured rounds per arm (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--examples", defaultValue = "8000", description = "MNIST examples per round (default: ${DEFAULT-VALUE}).")
  int examples;

  @Option(names = "--batch-size", defaultValue = "64", description = "Mini-batch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--skip-every", description = "Leave out the every-iteration arm (quicker runs of the default arm).")
  boolean skipEvery;

  private record Arm(String name, ListenerConfig config) {}

  @Override
  public Integer call() throws Exception {
    LocalKafka broker = null;
    String servers = bootstrapServers;
    if (servers == null) {
      Path dir = Files.createTempDirectory("monkey-bench-kafka");
      broker = LocalKafka.builder().dataDir(dir).port(0).build();
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
        examples, batchSize, 42, "scale", 0, false, ",", 0));
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
    List<Arm> arms = skipEvery ? all.subList(0, 2) : all;
    System.out.printf(Locale.ROOT, "overhead benchmark: single-JVM MultiLayerNetwork.fit with the workers' listener "
            + "(Spark's own cost is the same in both arms)%nnetwork 784-256-128-10 (demo job), %,d MNIST examples, "
            + "batch %d, %d rounds + 1 warm-up, arms alternating; Kafka %s topic %s%n",
        batches.stream().mapToInt(DataSet::numExamples).sum(), batchSize, rounds, servers, topic);
    double[][] seconds = new double[arms.size()][rounds];
    double[][] cpu = new double[arms.size()][rounds];
    long[] snapshots = new long[arms.size()];
    for (int round = -1; round < rounds; round++) {
      if (round == 0) {
        StageTimers.reset(); // the warm-up's JIT and broker start-up are not the listener's steady cost
        loggedSteps = 0;
      }
      StringBuilder line = new StringBuilder(round < 0 ? "warm-up:" : "round " + (round + 1) + ":");
      for (int k = 0; k < arms.size(); k++) {
        // Rotate the order each round so that no arm always runs first (JIT, caches, broker warm-up).
        int a = Math.floorMod(k + Math.max(round, 0), arms.size());
        Arm arm = arms.get(a);
        long cpuStart = processCpuNanos();
        double s = timeOneEpoch(conf, batches, arm, snapshots, a, round >= 0);
        if (round >= 0) {
          seconds[a][round] = s;
          cpu[a][round] = (processCpuNanos() - cpuStart) / 1e9;
        }
        line.append(String.format(Locale.ROOT, "  %s %.2f s", arm.name().split(" ")[0], s));
        if (round >= 0) {
          line.append(String.format(Locale.ROOT, " (%.2f CPU-s)", cpu[a][round]));
        }
      }
      System.out.println(line);
    }
    int total = batches.stream().mapToInt(DataSet::numExamples).sum();
    double off = median(seconds[0]);
    double offCpu = median(cpu[0]);
    System.out.printf(Locale.ROOT, "%-42s %,10.0f samples/s  %.2f CPU-s/round%n", "logging off:", total / off, offCpu);
    double[] targets = {0, 1.05, 1.30};
    for (int a = 1; a < arms.size(); a++) {
      double on = median(seconds[a]);
      double ratio = on / off;
      double cpuRatio = median(cpu[a]) / offCpu;
      System.out.printf(Locale.ROOT, "%-42s %,10.0f samples/s  ratio %.3f (target <= %.2f: %s)  %,d snapshots/round"
              + "  CPU ratio %.3f%n",
          arms.get(a).name() + ":", total / on, ratio, targets[a], ratio <= targets[a] ? "met" : "MISSED",
          snapshots[a] / rounds, cpuRatio);
    }
    if (StageTimers.ENABLED) {
      long logged = Math.max(1, loggedSteps);
      System.out.printf(Locale.ROOT, "listener stage timers (all logged arms and rounds, %,d logged steps):%n%s", logged,
          StageTimers.report(logged, "logged step"));
    }
    return ExitCode.OK;
  }

  private static long loggedSteps;

  private static double timeOneEpoch(MultiLayerConfiguration conf, List<DataSet> batches, Arm arm, long[] snapshots,
      int armIndex, boolean measured) {
    MultiLayerNetwork net = new MultiLayerNetwork(conf.clone());
    net.init();
    SnapshotListener listener = arm.config() == null ? null : new SnapshotListener(arm.config(), null);
    if (listener != null) {
      net.setListeners(listener);
    }
    long start = System.nanoTime();
    for (DataSet batch : batches) {
      net.fit(batch);
    }
    if (listener != null) {
      listener.flush(); // delivery is part of the cost
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (listener != null) {
      loggedSteps += (batches.size() + arm.config().every() - 1) / arm.config().every();
    }
    if (listener != null && measured) {
      DeliveryTotals totals = listener.localTotals();
      snapshots[armIndex] += totals.sent() + totals.spilled();
    }
    return seconds;
  }

  /**
   * CPU time of this JVM (training, ND4J's threads, the publishing thread, GC), not of the broker: on a loaded machine
   * it varies far less between rounds than wall time, so its ratio is the steadier measure of the listener's cost.
   */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new OverheadBenchmark()).execute(args));
  }
}
