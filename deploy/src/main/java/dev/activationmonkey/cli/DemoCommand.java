package dev.activationmonkey.cli;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.LayerEpochSummary;
import dev.activationmonkey.collector.Collector;
import dev.activationmonkey.collector.CollectorConfig;
import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.localkafka.LocalKafka;
import dev.activationmonkey.trainer.RunResult;
import dev.activationmonkey.trainer.Trainer;
import dev.activationmonkey.trainer.spec.JobSpec;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
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
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run the whole pipeline on this machine: a real Kafka broker, a Spark local-mode",
      "dl4j-spark training job on the bundled MNIST digits, the collector writing Parquet,",
      "and a report read back with DuckDB."
    })
final class DemoCommand implements Callable<Integer> {
  static final String TOPIC = "monkey.snapshots";

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

  private PrintStream out;

  @Override
  public Integer call() throws Exception {
    out = System.out;
    JobSpec spec = loadSpec();
    LocalKafka broker = LocalKafka.builder().dataDir(kafkaDir).port(port).build();
    boolean startedBroker = !broker.isRunning();
    AtomicReference<Collector> running = new AtomicReference<>();
    // Ctrl-C: commit what the collector holds (nothing accepted is lost), then stop the broker we started.
    Thread cleanup = new Thread(() -> {
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
      step(1, startedBroker ? "Starting a Kafka broker in " + kafkaDir : "Using the running Kafka broker");
      broker.start();
      broker.createTopic(TOPIC, spec.training().workers());
      out.println("      bootstrap servers " + broker.bootstrapServers() + ", topic " + TOPIC);

      CollectorConfig collectorConfig = CollectorConfig.builder()
          .bootstrapServers(broker.bootstrapServers())
          .topics(TOPIC)
          .datasetRoot(dataDir.toAbsolutePath().toString())
          .build();
      step(2, "Starting the collector, writing Parquet to " + dataDir);
      RunResult result;
      try (Collector collector = Collector.start(collectorConfig)) {
        running.set(collector);
        String master = spec.training().master() != null ? spec.training().master() : "local[" + spec.training().workers() + "]";
        step(3, "Training on Spark (" + master + ") with dl4j-spark; snapshots stream to Kafka");
        result = new Trainer().run(spec.withBootstrapServers(broker.bootstrapServers()).withTopic(TOPIC), out);
        step(4, "Waiting until the collector has written every record to Parquet");
        collector.awaitCaughtUp(Duration.ofMinutes(2));
      } finally {
        running.set(null);
      }

      step(5, "Reading the Parquet files back with DuckDB");
      try (ActivationLog log = ActivationLog.open(dataDir.toAbsolutePath().toString())) {
        // Raw rows, not de-duplicated: every record the trainer got acknowledged must be there exactly once.
        long rows = log.select("SELECT count(*) FROM snapshots_all WHERE run_id = ?",
            resultSet -> resultSet.getLong(1), result.runId()).get(0);
        out.println();
        out.printf(Locale.ROOT, "run %s%n", result.runId());
        out.printf(Locale.ROOT, "  layer snapshots sent by the trainer : %,d%n", result.snapshotsSent());
        out.printf(Locale.ROOT, "  layer snapshot rows in Parquet      : %,d  %s%n", rows,
            rows == result.snapshotsSent() ? "(match)" : "(MISMATCH)");
        out.println();
        printSummary(log.layerEpochSummary(result.runId()));
        out.println();
        out.println("Dataset: " + dataDir.toAbsolutePath());
        out.println("Next: ./monkey report --data " + dataDir + " --run " + result.runId()
            + " --html report.html");
        return rows == result.snapshotsSent() ? ExitCode.OK : ExitCode.INTERNAL;
      }
    } finally {
      if (startedBroker) {
        step(6, "Stopping the Kafka broker this demo started");
        broker.stop();
      }
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException shuttingDown) {
        // The hook is already running.
      }
    }
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

  private void step(int n, String text) {
    out.println("[" + n + "] " + text);
    out.flush();
  }
}
