package dev.activationmonkey.benchmarks.trainer;

import dev.activationmonkey.localkafka.LocalKafka;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.trainer.data.Shard;
import dev.activationmonkey.trainer.data.ShardedData;
import dev.activationmonkey.trainer.distributed.ParameterAveraging;
import dev.activationmonkey.trainer.listener.ListenerConfig;
import dev.activationmonkey.trainer.listener.RunAccumulators;
import dev.activationmonkey.trainer.listener.SnapshotListener;
import dev.activationmonkey.trainer.network.NetworkFactory;
import dev.activationmonkey.trainer.publish.KafkaSettings;
import dev.activationmonkey.trainer.publish.SnapshotProducer;
import dev.activationmonkey.trainer.spec.JobSpec;
import dev.activationmonkey.trainer.stats.StatsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code monkey bench scaling}: distributed training against one JVM on the same cores. In one JVM, on the same
 * cached examples, the same network (same seed) trains for the same epochs in every arm, arms alternating round by
 * round: single-JVM {@code MultiLayerNetwork.fit} (the baseline), Spark with W workers and the trainer's parameter
 * averaging, and optional reference arms. Per arm: samples/s over the round's epochs (Spark start-up and data loading
 * are measured once, apart), the median of per-round ratios to the baseline, and test accuracy after the epochs.
 * The same for a small CNN on MNIST (more compute per synchronisation). With logging arms, the listener's cost on
 * busy executors: Spark training with logging at the default settings and at every iteration vs off.
 */
@Command(name = "scaling", mixinStandardHelpOptions = true,
    description = {"Measure distributed training against a single JVM on the same cores (ratios of samples/s), "
        + "and the listener's cost on busy Spark executors.",
        "Targets: mlp >= 1.0, cnn >= 1.5 (2 workers on 2 cores); logging <= 1.10 default, <= 1.50 every iteration."})
public final class ScalingBenchmark implements Callable<Integer> {

  @Option(names = "--rounds", defaultValue = "3", description = "Measured rounds per model (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--epochs", defaultValue = "3", description = "Epochs each arm trains per round (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--workers", defaultValue = "2", description = "Spark workers, local[W] (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--master", description = "Spark master (default: local[<workers>]).")
  String master;

  @Option(names = "--cluster", description = "Run the Spark arms on a local Spark standalone cluster (a master and "
      + "<workers> workers of one core, executors in JVMs of their own) that the benchmark starts and stops; the "
      + "single-JVM baseline runs in this JVM, alternating with them. Needs the trainer's spark-submit jar (the monkey "
      + "launcher builds it for --cluster).")
  boolean cluster;

  /** A Spark standalone cluster the Spark arms can run on; deploy's command line supplies them (--cluster). */
  public interface Cluster extends AutoCloseable {
    String masterUrl();

    /** What a driver in this JVM sets to use it: executor JVM flags and environment, the application's jar. */
    Map<String, String> sparkConf();

    @Override
    void close();
  }

  /** Starts a cluster of the given number of one-core workers; null where no launcher registered one. */
  public static volatile IntFunction<Cluster> clusters;

  @Option(names = "--frequency", description = "Averaging frequency of the parameter-averaging arm (default: the "
      + "trainer's default; 0 = once per epoch).")
  Integer frequency;

  @Option(names = "--extra-frequency", split = ",", description = "More parameter-averaging arms at these frequencies.")
  List<Integer> extraFrequencies = new ArrayList<>();

  @Option(names = "--models", split = ",", defaultValue = "mlp,cnn", description = "mlp, cnn (default: ${DEFAULT-VALUE}).")
  List<String> models;

  @Option(names = "--cnn-examples", defaultValue = "3000", description = "Examples of the CNN runs (default: ${DEFAULT-VALUE}).")
  int cnnExamples;

  @Option(names = "--dl4j-arm", description = "Add dl4j-spark's ParameterAveragingTrainingMaster (averaging every 5, "
      + "Repartition.Never, on the same cached batches): the path the trainer replaced.")
  boolean dl4jArm;

  @Option(names = "--control-arm", description = "Add a second, identical parameter-averaging arm: its ratio to the "
      + "first is this machine's noise floor for the figures.")
  boolean controlArm;

  @Option(names = "--logging-arms", description = "Add Spark arms with snapshot logging (default settings; every "
      + "iteration with the default histograms; every iteration with histograms of all four kinds) against a local broker.")
  boolean loggingArms;

  @Option(names = "--copy-buffer-arm", description = "With --logging-arms: add every iteration with the arrays copied "
      + "and their statistics computed on the publishing thread (logging.copy-buffer-mb: 64) instead of in the callback "
      + "(what copy-buffer-mb: auto picks when Spark's tasks fill the cores).")
  boolean copyBufferArm;

  private record Arm(String name, Supplier<Trained> run) {}

  /** @param overhead seconds outside the workers' fit calls (Spark jobs, broadcasts, averaging), NaN if unknown */
  private record Trained(double seconds, double accuracy, long examples, double overhead, double taskOverhead) {
    Trained(double seconds, double accuracy, long examples) {
      this(seconds, accuracy, examples, Double.NaN, Double.NaN);
    }
  }

  private static final String MLP = """
      network:
        weight-init: relu
        updater: {type: adam, learning-rate: 0.001}
        layers:
          - {type: dense, size: 256, activation: relu}
          - {type: dense, size: 128, activation: relu}
          - {type: output, size: 10, activation: softmax, loss: mcxent, weight-init: xavier}
      """;

  private static final String CNN = """
      network:
        weight-init: relu
        updater: {type: adam, learning-rate: 0.001}
        layers:
          - {type: convolution, filters: 16, kernel: [5, 5], activation: relu}
          - {type: subsampling, kernel: [2, 2], stride: [2, 2]}
          - {type: convolution, filters: 32, kernel: [5, 5], activation: relu}
          - {type: subsampling, kernel: [2, 2], stride: [2, 2]}
          - {type: dense, size: 256, activation: relu}
          - {type: output, size: 10, activation: softmax, loss: mcxent, weight-init: xavier}
      """;

  @Override
  public Integer call() throws Exception {
    int freq = frequency != null ? frequency : dev.activationmonkey.trainer.spec.TrainingSpec.DEFAULT_AVERAGING_FREQUENCY;
    LocalKafka broker = null;
    JavaSparkContext jsc = null;
    Cluster standalone = null;
    if (cluster && clusters == null) {
      throw new dev.activationmonkey.errors.InvalidInputException("--cluster: no Spark cluster launcher here; run it "
          + "through ./monkey bench scaling --cluster, or give --master spark://... of a cluster that has the trainer's jar");
    }
    try {
      KafkaSettings kafka = null;
      if (loggingArms) {
        broker = LocalKafka.builder().dataDir(Files.createTempDirectory("monkey-bench-kafka")).port(0).niceness(19).build();
        broker.start();
        broker.createTopic("monkey.bench.scaling", workers);
        kafka = JobSpec.demo().logging().kafka().withBootstrapServers(broker.bootstrapServers())
            .withTopic("monkey.bench.scaling");
      }
      long sparkStart = System.nanoTime();
      SparkConf conf = new SparkConf().setMaster(master != null ? master : "local[" + workers + "]")
          .setAppName("monkey bench scaling").set("spark.ui.enabled", "false")
          .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
          .setIfMissing("spark.executorEnv.OMP_NUM_THREADS", "1");
      if (cluster) {
        standalone = clusters.apply(workers);
        conf.setMaster(standalone.masterUrl()).set("spark.executor.cores", "1")
            .set("spark.cores.max", String.valueOf(workers)).set("spark.executor.memory", "2g");
        standalone.sparkConf().forEach(conf::set);
      }
      jsc = new JavaSparkContext(conf);
      System.out.printf(Locale.ROOT, "scaling benchmark: %s%s, %d workers, ND4J threads per op: %s; Spark started in %.1f s%n",
          jsc.master(), cluster ? " (standalone cluster, executors in JVMs of their own)" : "", workers, System.getenv().getOrDefault("OMP_NUM_THREADS", "(all cores)"),
          (System.nanoTime() - sparkStart) / 1e9);
      List<String> last = new ArrayList<>();
      for (String model : models) {
        double ratio = model(jsc, model, freq, kafka);
        last.add(String.format(Locale.ROOT, "scaling ratio %.2f (target >= %s) %s", ratio,
            model.equals("cnn") ? "1.5" : "1.0", model));
      }
      last.forEach(System.out::println);
      return 0;
    } finally {
      if (jsc != null) {
        jsc.stop();
      }
      if (standalone != null) {
        standalone.close();
      }
      SnapshotProducer.closeAll();
      if (broker != null) {
        broker.stop();
      }
    }
  }

  private double model(JavaSparkContext jsc, String model, int freq, KafkaSettings kafka) {
    boolean cnn = model.equals("cnn");
    String yaml = (cnn ? CNN : MLP) + """
        data: {format: mnist, path: bundled, test-fraction: 0.1, batch-size: 64, limit: %d}
        """.formatted(cnn ? cnnExamples : 10_000);
    JobSpec spec = JobSpec.parse(yaml, "bench-" + model);
    long loadStart = System.nanoTime();
    ShardedData data = ShardedData.load(jsc, spec.data(), workers);
    System.out.printf(Locale.ROOT, "%n== %s: %,d train / %,d test examples, batch %d; loaded into the executors in %.1f s%n",
        model, data.trainExamples(), data.testExamples(), spec.data().batchSize(), (System.nanoTime() - loadStart) / 1e9);
    MultiLayerConfiguration conf = NetworkFactory.build(spec.network(), 12345, data.features(), data.classes());
    List<Shard> trainShards = data.train().collect(); // the baseline trains on exactly the workers' examples
    List<DataSet> testBatches = new ArrayList<>();
    data.test().collect().forEach(s -> testBatches.addAll(s.inOrder(256)));
    int batch = spec.data().batchSize();
    long seed = spec.data().shuffleSeed();

    List<Arm> arms = new ArrayList<>();
    arms.add(new Arm("single JVM MultiLayerNetwork.fit", () -> {
      MultiLayerNetwork net = network(conf);
      long t = System.nanoTime();
      for (int e = 0; e < epochs; e++) {
        for (Shard s : trainShards) {
          for (DataSet b : s.batches(e, seed, batch, 0, Integer.MAX_VALUE)) {
            net.fit(b);
          }
        }
      }
      return new Trained((System.nanoTime() - t) / 1e9, accuracy(net, testBatches), (long) epochs * data.trainExamples());
    }));
    List<Integer> freqs = new ArrayList<>(List.of(freq));
    extraFrequencies.stream().filter(f -> !freqs.contains(f)).forEach(freqs::add);
    for (int f : freqs) {
      arms.add(new Arm("Spark parameter averaging, " + (f == 0 ? "once per epoch" : "every " + f), () ->
          averaging(jsc, conf, data, batch, f, seed, testBatches, null, model)));
    }
    if (controlArm) {
      arms.add(new Arm("  control (the first Spark arm again)", () ->
          averaging(jsc, conf, data, batch, freq, seed, testBatches, null, model)));
    }
    if (kafka != null) {
      StatsOptions d = JobSpec.demo().logging().stats();
      RunAccumulators acc = RunAccumulators.register(jsc.sc());
      ListenerConfig byDefault = new ListenerConfig("bench-scaling-default", ListenerConfig.allKinds(), 10,
          new StatsOptions(d.histogramBins(), true, 0, 4096, d.nearZeroThreshold()),
          EnumSet.of(Kind.ACTIVATION, Kind.GRADIENT), kafka, -1, 0);
      // logging.every: 1 with every other setting at its default (histograms of activations and gradients)
      ListenerConfig everyByDefault = new ListenerConfig("bench-scaling-every-default", ListenerConfig.allKinds(), 1,
          byDefault.stats(), byDefault.histogramKinds(), kafka, -1, 0);
      // the most the listener can be asked for: every iteration, histograms of all four kinds
      ListenerConfig every = new ListenerConfig("bench-scaling-every", ListenerConfig.allKinds(), 1,
          new StatsOptions(d.histogramBins(), true, 0, 4096, d.nearZeroThreshold()), kafka, -1, 0);
      arms.add(new Arm("  + logging, default settings", () ->
          averaging(jsc, conf, data, batch, freq, seed, testBatches, new SnapshotListener(byDefault, acc), model)));
      arms.add(new Arm("  + logging, every iteration (default histograms)", () ->
          averaging(jsc, conf, data, batch, freq, seed, testBatches, new SnapshotListener(everyByDefault, acc), model)));
      arms.add(new Arm("  + logging, every iteration, all histograms", () ->
          averaging(jsc, conf, data, batch, freq, seed, testBatches, new SnapshotListener(every, acc), model)));
      if (copyBufferArm) {
        for (ListenerConfig c : List.of(byDefault, everyByDefault, every)) {
          ListenerConfig copied = c.withCopyBufferBytes(ListenerConfig.DEFAULT_COPY_BUFFER_BYTES);
          String name = c == byDefault ? "default settings" : c == every ? "every iteration, all histograms"
              : "every iteration (default histograms)";
          arms.add(new Arm("  + logging, " + name + ", copy-buffer-mb 64", () ->
              averaging(jsc, conf, data, batch, freq, seed, testBatches, new SnapshotListener(copied, acc), model)));
        }
      }
    }
    if (dl4jArm) {
      arms.add(new Arm("dl4j-spark ParameterAveragingTrainingMaster, every 5", () -> {
        MultiLayerNetwork net = network(conf);
        SparkDl4jMultiLayer spark = new SparkDl4jMultiLayer(jsc, net, new ParameterAveragingTrainingMaster.Builder(batch)
            .batchSizePerWorker(batch).averagingFrequency(5).workerPrefetchNumBatches(2)
            .rddTrainingApproach(RDDTrainingApproach.Direct).repartionData(Repartition.Never).rngSeed(12345).build());
        long t = System.nanoTime();
        for (int e = 0; e < epochs; e++) {
          int epoch = e;
          spark.fit(data.train().flatMap(s -> s.batches(epoch, seed, batch, 0, Integer.MAX_VALUE).iterator()));
        }
        double seconds = (System.nanoTime() - t) / 1e9;
        return new Trained(seconds, accuracy(spark.getNetwork(), testBatches), (long) epochs * data.trainExamples());
      }));
    }

    arms.get(0).run().get(); // warm-up: JIT, ND4J, the executors' network pools
    arms.subList(1, arms.size()).forEach(a -> a.run().get());
    double[][] rates = new double[arms.size()][rounds];
    double[][] accuracies = new double[arms.size()][rounds];
    double[][] overheads = new double[arms.size()][rounds];
    double[][] taskOverheads = new double[arms.size()][rounds];
    for (int r = 0; r < rounds; r++) {
      // Each round starts with a different arm: an arm's place in the round (after which arm, how long after the
      // last GC) measured up to 10% here, the same for every round, in the control arm.
      for (int i = 0; i < arms.size(); i++) {
        int a = (i + r) % arms.size();
        Trained t = arms.get(a).run().get();
        rates[a][r] = t.examples() / t.seconds();
        accuracies[a][r] = t.accuracy();
        overheads[a][r] = t.overhead() / epochs;
        taskOverheads[a][r] = t.taskOverhead() / epochs;
      }
      System.out.printf(Locale.ROOT, "round %d/%d: %s%n", r + 1, rounds, describeRound(rates, arms.size(), r));
    }
    double baseline = OverheadBenchmark.median(rates[0]);
    System.out.printf(Locale.ROOT, "%-60s %,9.0f samples/s  %.1f ms/iteration  accuracy %.4f%n", arms.get(0).name() + ":",
        baseline, 1000.0 * batch / baseline, OverheadBenchmark.median(accuracies[0]));
    double first = Double.NaN;
    for (int a = 1; a < arms.size(); a++) {
      double[] ratios = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        ratios[r] = rates[a][r] / rates[0][r];
      }
      double ratio = OverheadBenchmark.median(ratios);
      String name = arms.get(a).name();
      String extra = "";
      if (name.startsWith("  + logging") || name.startsWith("  control")) {
        double[] overhead = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          overhead[r] = rates[1][r] / rates[a][r];
        }
        extra = name.startsWith("  control") ? String.format(Locale.ROOT, "  first Spark arm / control %.3f (noise)",
            OverheadBenchmark.median(overhead)) : String.format(Locale.ROOT, "  logging overhead %.3f (target <= %s)", OverheadBenchmark.median(overhead),
            name.contains("default settings") ? "1.10" : "1.50");
      }
      System.out.printf(Locale.ROOT, "%-60s %,9.0f samples/s  ratio %.2f (rounds %s)  accuracy %.4f%s%n", name + ":",
          OverheadBenchmark.median(rates[a]), ratio, Arrays.toString(round2(ratios)), OverheadBenchmark.median(accuracies[a]), extra);
      if (!Double.isNaN(overheads[a][0])) {
        System.out.printf(Locale.ROOT, "%-60s outside fit: %.3f s per epoch (in the tasks: %.3f s)%n", "",
            OverheadBenchmark.median(overheads[a]), OverheadBenchmark.median(taskOverheads[a]));
      }
      if (a == 1) {
        first = ratio;
      }
    }
    data.release();
    return first;
  }

  private static String describeRound(double[][] rates, int arms, int r) {
    StringBuilder b = new StringBuilder();
    for (int a = 0; a < arms; a++) {
      b.append(String.format(Locale.ROOT, "%s%,.0f", a == 0 ? "" : " / ", rates[a][r]));
    }
    return b.append(" samples/s").toString();
  }

  private Trained averaging(JavaSparkContext jsc, MultiLayerConfiguration conf, ShardedData data, int batch, int freq,
      long seed, List<DataSet> test, SnapshotListener listener, String model) {
    MultiLayerNetwork net = network(conf);
    ParameterAveraging engine = new ParameterAveraging(jsc, net, "bench-scaling-" + model, batch, freq, seed, listener);
    engine.batchesPerWorker(data.train());
    long t = System.nanoTime();
    long examples = 0;
    double train = 0;
    double task = 0;
    for (int e = 0; e < epochs; e++) {
      ParameterAveraging.EpochOutcome o = engine.fitEpoch(data.train(), e, false, null);
      examples += o.examples();
      train += o.trainSeconds();
      task += o.taskSeconds();
    }
    double seconds = (System.nanoTime() - t) / 1e9;
    return new Trained(seconds, accuracy(net, test), examples, seconds - train, task - train);
  }

  private static MultiLayerNetwork network(MultiLayerConfiguration conf) {
    MultiLayerNetwork net = new MultiLayerNetwork(conf.clone());
    net.init();
    return net;
  }

  private static double accuracy(MultiLayerNetwork net, List<DataSet> test) {
    Evaluation e = new Evaluation();
    for (DataSet b : test) {
      e.eval(b.getLabels(), net.output(b.getFeatures(), false));
    }
    return e.accuracy();
  }

  private static double[] round2(double[] v) {
    return Arrays.stream(v).map(x -> Math.round(x * 100) / 100.0).toArray();
  }
}
