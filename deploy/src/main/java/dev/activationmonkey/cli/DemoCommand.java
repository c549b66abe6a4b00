package dev.activationmonkey.cli;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.LayerEpochSummary;
import dev.activationmonkey.collector.Collector;
import dev.activationmonkey.collector.CollectorConfig;
import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.localkafka.LocalKafka;
import dev.activationmonkey.localspark.LocalSpark;
import dev.activationmonkey.localspark.SubmitRequest;
import dev.activationmonkey.localspark.SubmitResult;
import dev.activationmonkey.trainer.RunResult;
import dev.activationmonkey.trainer.Trainer;
import dev.activationmonkey.trainer.spec.JobSpec;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code monkey demo}: the whole pipeline on the embedded default. Starts (only if needed) a local
 * broker, runs the collector, trains the demo network on the bundled MNIST with Spark in local mode,
 * waits until every snapshot is in Parquet, prints both counts and a per-layer report, and stops what
 * it started, also on Ctrl-C.
 *
 * <p>With {@code --cluster} the training runs as it would on a real cluster: the trainer's spark-submit jar is
 * submitted through spark-submit's entry point to a local Spark standalone cluster ({@link LocalSpark}: a master and
 * two workers, executors in JVMs of their own), which the demo starts and stops. The trainer then runs in another
 * JVM (the driver), so its counts come from the summary it prints, cross-checked with its RunEnd record.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run the whole pipeline on this machine: a real Kafka broker, a Spark local-mode",
      "dl4j-spark training job on the bundled MNIST digits, the collector writing Parquet,",
      "and a report read back with DuckDB.",
      "With --cluster, training is a spark-submit of the trainer's jar to a local Spark standalone",
      "cluster (a master and two workers, each executor a JVM of its own) that the demo starts and stops."
    })
final class DemoCommand implements Callable<Integer> {
  static final String TOPIC = dev.activationmonkey.snapshot.Topics.DEFAULT_SNAPSHOT_TOPIC;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Where the demo's dataset goes (default: ${DEFAULT-VALUE}).")
  Path dataDir = StateDirectory.demo().resolve("dataset");

  @Option(names = "--kafka-dir", paramLabel = "DIR",
      description = "The broker's data directory (default: ${DEFAULT-VALUE}, shared with 'monkey kafka').")
  Path kafkaDir = StateDirectory.kafka();

  @Option(names = "--port", paramLabel = "PORT", description = "Broker port (default: ${DEFAULT-VALUE}).")
  int port = KafkaCommand.DEFAULT_PORT;

  @Option(names = "--epochs", paramLabel = "N", description = "Override the demo job's epochs.")
  Integer epochs;

  @Option(names = "--config", paramLabel = "FILE",
      description = "Use this job spec instead of the bundled demo job (its Kafka settings are replaced).")
  Path config;

  @Option(names = "--cluster",
      description = "Train by submitting the trainer's spark-submit jar to a local Spark standalone cluster "
          + "(master, 2 workers, executors in JVMs of their own) instead of Spark local mode.")
  boolean cluster;

  @Option(names = "--spark-dir", paramLabel = "DIR",
      description = "With --cluster: the cluster's state, logs and executor logs (default: ${DEFAULT-VALUE}).")
  Path sparkDir = StateDirectory.spark();

  @Option(names = "--spark-jar", paramLabel = "JAR",
      description = "With --cluster: the trainer's spark-submit jar (default: the build's, "
          + "deploy/target/spark-app/trainer-spark.jar).")
  Path sparkJar;

  /** System property naming the trainer's spark-submit jar (set by the launcher and the tests). */
  static final String SPARK_JAR_PROPERTY = "monkey.trainer.spark-jar";
  static final String TRAIN_MAIN = "dev.activationmonkey.trainer.cli.TrainCommand";

  private PrintStream out;
  private int steps;
  private volatile boolean interrupted;

  @Override
  public Integer call() throws Exception {
    out = System.out;
    JobSpec spec = loadSpec();
    Path jar = cluster ? sparkJar() : null;
    LocalKafka broker = LocalKafka.builder().dataDir(kafkaDir).port(port).build();
    boolean startedBroker = !broker.isRunning();
    LocalSpark spark = cluster ? LocalSpark.builder().stateDir(sparkDir).workers(2).build() : null;
    AtomicReference<Collector> running = new AtomicReference<>();
    // Ctrl-C: stop the cluster (the driver and executors first), commit what the collector holds (nothing accepted
    // is lost), then stop the broker we started.
    Thread cleanup = new Thread(() -> {
      interrupted = true;
      if (spark != null) {
        spark.stop();
      }
      Collector collector = running.getAndSet(null);
      if (collector != null) {
        collector.close();
      }
      if (startedBroker) {
        broker.stop();
      }
    }, "monkey-demo-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      step(startedBroker ? "Starting a Kafka broker in " + kafkaDir : "Using the running Kafka broker");
      broker.start();
      broker.createTopic(TOPIC, spec.training().workers());
      out.println("      bootstrap servers " + broker.bootstrapServers() + ", topic " + TOPIC);

      CollectorConfig collectorConfig = CollectorConfig.builder()
          .bootstrapServers(broker.bootstrapServers())
          .topics(TOPIC)
          .datasetRoot(dataDir.toAbsolutePath().toString())
          .build();
      step("Starting the collector, writing Parquet to " + dataDir);
      Trained trained;
      try (Collector collector = Collector.start(collectorConfig)) {
        running.set(collector);
        trained = cluster ? trainOnCluster(spark, jar, broker) : trainLocally(spec, broker);
        if (trained.failure() != null) {
          return trained.exitCode();
        }
        step("Waiting until the collector has written every record to Parquet");
        collector.awaitCaughtUp(Duration.ofMinutes(2));
      } finally {
        running.set(null);
      }

      step("Reading the Parquet files back with DuckDB");
      try (ActivationLog log = ActivationLog.open(dataDir.toAbsolutePath().toString())) {
        // Raw rows, not de-duplicated: every record the trainer got acknowledged must be there exactly once.
        long rows = log.select("SELECT count(*) FROM snapshots_all WHERE run_id = ?",
            resultSet -> resultSet.getLong(1), trained.runId()).get(0);
        out.println();
        out.printf(Locale.ROOT, "run %s%n", trained.runId());
        out.printf(Locale.ROOT, "  layer snapshots sent by the trainer : %,d%n", trained.snapshotsSent());
        out.printf(Locale.ROOT, "  layer snapshot rows in Parquet      : %,d  %s%n", rows,
            rows == trained.snapshotsSent() ? "(match)" : "(MISMATCH)");
        boolean runEndAgrees = true;
        if (cluster) {
          // The trainer ran in the driver JVM: its RunEnd record (in Parquet now) must say what its summary said.
          List<Long> runEnd = log.select("SELECT snapshots_sent FROM run_ends WHERE run_id = ?",
              resultSet -> resultSet.getLong(1), trained.runId());
          runEndAgrees = runEnd.size() == 1 && runEnd.get(0) == trained.snapshotsSent();
          out.printf(Locale.ROOT, "  sent according to its RunEnd record : %s  %s%n",
              runEnd.isEmpty() ? "-" : String.format(Locale.ROOT, "%,d", runEnd.get(0)),
              runEndAgrees ? "(match)" : "(MISMATCH)");
        }
        out.println();
        printSummary(log.layerEpochSummary(trained.runId()));
        out.println();
        out.println("Dataset: " + dataDir.toAbsolutePath());
        out.println("Next: ./monkey report --data " + dataDir + " --run " + trained.runId()
            + " --html report.html");
        return rows == trained.snapshotsSent() && runEndAgrees ? ExitCode.OK : ExitCode.INTERNAL;
      }
    } finally {
      if (spark != null) {
        step("Stopping the Spark cluster (executors, workers, master)");
        spark.stop();
      }
      if (startedBroker) {
        step("Stopping the Kafka broker this demo started");
        broker.stop();
      }
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException shuttingDown) {
        // The hook is already running.
      }
    }
  }

  /** What the demo needs to know about the training run: its id and the snapshots Kafka acknowledged. */
  private record Trained(String runId, long snapshotsSent, String failure, int exitCode) {}

  private Trained trainLocally(JobSpec spec, LocalKafka broker) {
    String master = spec.training().master() != null ? spec.training().master() : "local[" + spec.training().workers() + "]";
    step("Training on Spark (" + master + "), parameter averaging; snapshots stream to Kafka");
    RunResult result = new Trainer().run(spec.withBootstrapServers(broker.bootstrapServers()).withTopic(TOPIC), out);
    return new Trained(result.runId(), result.snapshotsSent(), null, ExitCode.OK);
  }

  private Trained trainOnCluster(LocalSpark spark, Path jar, LocalKafka broker) {
    step("Starting a Spark standalone cluster: a master and 2 workers, each its own JVM, in " + sparkDir);
    spark.start();
    out.println("      master " + spark.masterUrl() + ", web UI " + spark.masterWebUi() + ", pids " + spark.pids());
    step("Training: spark-submit of " + jar.getFileName() + " (" + TRAIN_MAIN.substring(TRAIN_MAIN.lastIndexOf('.') + 1)
        + ") to " + spark.masterUrl() + ", two executors in JVMs of their own; snapshots stream to Kafka");
    List<String> args = new ArrayList<>();
    if (config != null) {
      args.addAll(List.of("--config", config.toAbsolutePath().toString()));
    }
    args.addAll(List.of("--bootstrap-servers", broker.bootstrapServers(), "--topic", TOPIC));
    if (epochs != null) {
      args.addAll(List.of("--epochs", epochs.toString()));
    }
    SubmitResult result = spark.submit(SubmitRequest.builder(jar, TRAIN_MAIN)
        .name("activation-monkey demo")
        .args(args)
        .executorCores(1).totalExecutorCores(2).executorMemory("1536m").driverHeap("2g")
        .onOutput(line -> {
          out.println("      " + line);
          out.flush();
        })
        .build());
    TrainSummary summary = TrainSummary.parse(result.output()).orElse(null);
    if (interrupted) {
      return new Trained(null, 0, "interrupted", ExitCode.INTERRUPTED);
    }
    if (result.exitCode() != 0 || summary == null) {
      String why = "spark-submit exited with " + result.exitCode()
          + (summary == null ? " without the trainer's summary" : "") + "; driver and Spark output: " + result.log()
          + ", executor logs under " + sparkDir + "/worker-*/";
      out.println("monkey demo: " + why);
      return new Trained(null, 0, why, result.exitCode() != 0 ? result.exitCode() : ExitCode.INTERNAL);
    }
    return new Trained(summary.runId(), summary.snapshotsSent(), null, ExitCode.OK);
  }

  private Path sparkJar() {
    Path jar = sparkJar;
    if (jar == null) {
      String property = System.getProperty(SPARK_JAR_PROPERTY);
      jar = property != null ? Path.of(property)
          : Path.of(System.getProperty("monkey.home", ".")).resolve("deploy/target/spark-app/trainer-spark.jar");
    }
    if (!Files.isRegularFile(jar)) {
      throw new InvalidInputException("--cluster: the trainer's spark-submit jar " + jar + " does not exist; build it "
          + "with `mvn -B -pl deploy -am package -DskipTests` (./monkey demo --cluster does) or name one with --spark-jar");
    }
    return jar;
  }

  private JobSpec loadSpec() {
    JobSpec spec = config != null ? JobSpec.load(config) : JobSpec.demo();
    return epochs == null ? spec : spec.withEpochs(epochs);
  }

  private void printSummary(List<LayerEpochSummary> rows) {
    out.println("Per layer and epoch: share of activations exactly zero, mean gradient L2 norm");
    out.printf(Locale.ROOT, "  %-5s %-24s %5s %12s %14s%n", "layer", "name", "epoch", "act. zero", "grad L2 norm");
    for (LayerEpochSummary row : rows) {
      out.printf(Locale.ROOT, "  %-5d %-24s %5d %12s %14s%n", row.layerIndex(), row.layerName(), row.epoch(),
          percent(row.activationZeroFraction()), number(row.gradientL2Norm()));
    }
  }

  private static String percent(Double value) {
    return value == null || value.isNaN() ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * value);
  }

  private static String number(Double value) {
    return value == null || value.isNaN() ? "-" : String.format(Locale.ROOT, "%.4g", value);
  }

  private void step(String text) {
    out.println("[" + ++steps + "] " + text);
    out.flush();
  }
}
