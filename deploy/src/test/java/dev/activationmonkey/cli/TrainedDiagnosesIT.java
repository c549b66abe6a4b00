package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.collector.Collector;
import dev.activationmonkey.collector.CollectorConfig;
import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.localkafka.KafkaBroker;
import dev.activationmonkey.localkafka.KafkaFixture;
import dev.activationmonkey.trainer.RunResult;
import dev.activationmonkey.trainer.Trainer;
import dev.activationmonkey.trainer.spec.JobSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The report's diagnoses on networks really trained (Spark local mode, real broker, the collector, Parquet): each sick
 * network gets its rule as the cause, and a healthy one stays silent. Small networks on 1,200 bundled MNIST digits,
 * seconds each.
 */
class TrainedDiagnosesIT {
  @TempDir
  static Path dir;
  private static KafkaBroker broker;

  @BeforeAll
  static void broker() {
    broker = KafkaFixture.shared();
  }

  /** Trains {@code network} (YAML flow mapping), collects its log, and returns the report's exit code and text. */
  private static Report trainAndReport(String name, String data, String network, int epochs) throws Exception {
    return trainAndReport(name, data, network, epochs, "");
  }

  private static Report trainAndReport(String name, String data, String network, int epochs, String training)
      throws Exception {
    String topic = "diagnoses-" + name + "-" + System.nanoTime();
    broker.createTopic(topic, 2);
    Path dataset = dir.resolve(name);
    JobSpec spec = JobSpec.parse("""
        name: %s
        data: %s
        network: %s
        training: {epochs: %d, workers: 2, master: "local[2]"%s}
        logging:
          every: 2
          kafka: {bootstrap-servers: "%s", topic: %s, spill-dir: "%s"}
        """.formatted(name, data, network, epochs, training, broker.bootstrapServers(), topic, dir.resolve("spill")),
        name + ".yaml");
    RunResult result;
    try (Collector collector = Collector.start(CollectorConfig.builder().bootstrapServers(broker.bootstrapServers())
        .topics(topic).datasetRoot(dataset.toString()).build())) {
      result = new Trainer().run(spec, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
          false);
      collector.awaitCaughtUp(Duration.ofMinutes(2));
    }
    StringWriter out = new StringWriter();
    CommandLine report = Monkey.commandLine();
    report.setOut(new PrintWriter(out));
    report.setErr(new PrintWriter(out));
    int code = report.execute("report", "--data", dataset.toString(), "--run", result.runId(), "--fail-on", "warn");
    System.out.println(out); // the report, in the test log
    return new Report(result, code, out.toString());
  }

  private record Report(RunResult run, int exitCode, String text) {}

  private static final String DATA = "{limit: 1200, test-fraction: 0.2, batch-size: 32}";

  @Test
  void aHealthyNetworkStaysSilent() throws Exception {
    Report r = trainAndReport("healthy", DATA, "{weight-init: he, updater: {type: adam, learning-rate: 0.001}, layers:"
        + " [{type: dense, size: 64, activation: relu}, {type: output, size: 10, activation: softmax}]}", 2);
    assertEquals(ExitCode.OK, r.exitCode(), "no warning or error on a healthy network:\n" + r.text());
    assertTrue(r.text().contains("0 error(s), 0 warning(s)"), r.text());
  }

  @Test
  void linearLayersOnRawPixelsWithALargeLearningRateExplodeIntoNaN() throws Exception {
    Report r = trainAndReport("exploding", "{limit: 1200, test-fraction: 0.2, batch-size: 32, normalize: none}",
        "{weight-init: xavier, updater: {type: sgd, learning-rate: 1.0}, layers: [{type: dense, size: 64, activation:"
            + " identity}, {type: dense, size: 32, activation: identity}, {type: output, size: 10, activation:"
            + " softmax}]}", 1);
    assertEquals(dev.activationmonkey.snapshot.avro.RunStatus.DIVERGED, r.run().status(), r.text());
    assertEquals(3, r.exitCode(), "--fail-on warn fails on the diverged run:\n" + r.text());
    String alerts = r.text().substring(r.text().indexOf("alerts:"));
    assertTrue(alerts.lines().skip(1).findFirst().orElse("").contains("ERROR exploding-gradient"),
        "the explosion is the first cause:\n" + r.text());
    assertEquals(1, alerts.lines().filter(line -> line.matches("    (ERROR|WARN) .*")).count(),
        "one cause; the other layers' explosions, the too-large updates and the units the explosion silenced are"
            + " its consequences:\n" + r.text());
    assertTrue(r.text().contains("try:"), "remedies are named:\n" + r.text());
  }

  @Test
  void trainingOnPastTheFirstNaNLogsItAndTheExplosionBeforeItIsTheCause() throws Exception {
    Report r = trainAndReport("nan", "{limit: 1200, test-fraction: 0.2, batch-size: 32, normalize: none}",
        "{weight-init: xavier, updater: {type: sgd, learning-rate: 1.0}, layers: [{type: dense, size: 64, activation:"
            + " identity}, {type: dense, size: 32, activation: identity}, {type: output, size: 10, activation:"
            + " softmax}]}", 1, ", stop-on-non-finite: false");
    assertEquals(3, r.exitCode(), r.text());
    String alerts = r.text().substring(r.text().indexOf("alerts:"));
    assertTrue(alerts.lines().skip(1).findFirst().orElse("").contains("ERROR exploding-gradient"),
        "the growth before the NaN is the cause:\n" + r.text());
    int consequences = alerts.indexOf("consequences:");
    assertTrue(consequences > 0 && alerts.indexOf("non-finite", consequences) > consequences,
        "the NaN is a consequence:\n" + r.text());
  }

  @Test
  void deepSigmoidLayersWithSmallWeightsVanish() throws Exception {
    Report r = trainAndReport("vanishing", DATA, "{weight-init: uniform, updater: {type: sgd, learning-rate: 0.01},"
        + " layers: [{type: dense, size: 32, activation: sigmoid}, {type: dense, size: 32, activation: sigmoid},"
        + " {type: dense, size: 32, activation: sigmoid}, {type: dense, size: 32, activation: sigmoid},"
        + " {type: dense, size: 32, activation: sigmoid}, {type: dense, size: 32, activation: sigmoid},"
        + " {type: output, size: 10, activation: softmax}]}", 1);
    assertEquals(3, r.exitCode(), r.text());
    String alerts = r.text().substring(r.text().indexOf("alerts:"));
    assertTrue(alerts.lines().skip(1).findFirst().orElse("").contains("vanishing-gradient"),
        "the first layers' gradients vanished:\n" + r.text());
    assertEquals(1, alerts.lines().filter(line -> line.matches("    (ERROR|WARN) .*")).count(),
        "the layers that stopped learning are its consequences:\n" + r.text());
  }

  @Test
  void aBigNetworkOnAHandfulOfExamplesOverfits() throws Exception {
    Report r = trainAndReport("overfitting", "{limit: 300, test-fraction: 0.5, batch-size: 25}",
        "{weight-init: he, updater: {type: adam, learning-rate: 0.01}, layers: [{type: dense, size: 256, activation:"
            + " relu}, {type: output, size: 10, activation: softmax}]}", 12);
    assertEquals(3, r.exitCode(), r.text());
    assertTrue(r.text().contains("WARN  overfitting"), "the test loss rose while training went on:\n" + r.text());
  }

  @Test
  void aHugeLearningRateKillsReluUnitsAndTheReportSaysToLowerIt() throws Exception {
    Report r = trainAndReport("relu-killed", "{limit: 1200, test-fraction: 0.2, batch-size: 32, normalize: none}",
        "{weight-init: he, updater: {type: sgd, learning-rate: 5.0}, layers: [{type: dense, size: 64, activation:"
            + " relu}, {type: dense, size: 32, activation: relu}, {type: output, size: 10, activation: softmax}]}", 1);
    assertEquals(3, r.exitCode(), r.text());
    assertTrue(r.text().contains("ERROR dead-neurons"), "the units died:\n" + r.text());
    assertTrue(r.text().contains("network.updater.learning-rate"), "the remedy names the key:\n" + r.text());
  }

  @Test
  void reluUnitsKilledByAScheduledRiseOfTheLearningRateAreDeadFromThatRiseOn() throws Exception {
    // raw pixels: alive for 16 iterations at 1e-5, then the schedule raises the rate to 5 (what kills them in
    // aHugeLearningRateKillsReluUnits...): the units die right after
    Report r = trainAndReport("relu-schedule", "{limit: 1200, test-fraction: 0.2, batch-size: 32, normalize: none}",
        "{weight-init: he, updater: {type: sgd, learning-rate: 0.00001, schedule: {type: map, values: {0: 0.00001, 16: 5.0}}},"
            + " layers: [{type: dense, size: 64, activation: relu}, {type: dense, size: 32, activation: relu},"
            + " {type: output, size: 10, activation: softmax}]}", 2);
    assertEquals(3, r.exitCode(), r.text());
    assertTrue(r.text().contains("dead-neurons"), "the units died:\n" + r.text());
    assertTrue(r.text().contains("right after the learning rate's rise from 1e-05 to 5 at iteration 16"),
        "the onset names the schedule's rise:\n" + r.text());
  }

  @Test
  void labelsUnrelatedToTheFeaturesLeaveNothingToLearnWhileTheWeightsMove() throws Exception {
    // 1,200 rows of noise with random labels: the weights move at a healthy rate, the test loss stays where it is
    Path csv = dir.resolve("noise.csv");
    Random random = new Random(7);
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 1200; i++) {
      rows.append(random.nextInt(10));
      for (int f = 0; f < 20; f++) {
        rows.append(',').append(String.format(Locale.ROOT, "%.4f", random.nextGaussian()));
      }
      rows.append('\n');
    }
    Files.writeString(csv, rows);
    Report r = trainAndReport("stalled", "{format: csv, path: \"" + csv + "\", test-fraction: 0.2, batch-size: 32}",
        "{weight-init: xavier, updater: {type: sgd, learning-rate: 0.001}, layers: [{type: dense, size: 16, activation:"
            + " tanh}, {type: output, size: 10, activation: softmax}]}", 5);
    assertEquals(3, r.exitCode(), r.text());
    assertTrue(r.text().contains("WARN  learning-stalled"), "the test loss stayed flat:\n" + r.text());
  }

  @Test
  void zeroInitialisedReluUnitsAreDeadAndTheirZeroGradientsAreListedUnderThem() throws Exception {
    Report r = trainAndReport("dead", DATA, "{weight-init: zero, updater: {type: adam, learning-rate: 0.001}, layers:"
        + " [{type: dense, size: 32, activation: relu}, {type: output, size: 10, activation: softmax}]}", 1);
    assertEquals(3, r.exitCode(), r.text());
    int dead = r.text().indexOf("dead-neurons");
    assertTrue(dead >= 0, "dead units found:\n" + r.text());
    int vanishing = r.text().indexOf("vanishing-gradient");
    assertTrue(vanishing < 0 || vanishing > r.text().indexOf("consequences:", dead),
        "a vanishing gradient, if reported, is a consequence of the dead units:\n" + r.text());
  }

  @Test
  void sigmoidUnitsOnRawPixelsSaturate() throws Exception {
    Report r = trainAndReport("saturated", "{limit: 1200, test-fraction: 0.2, batch-size: 32, normalize: none}",
        "{weight-init: xavier, updater: {type: adam, learning-rate: 0.001}, layers: [{type: dense, size: 32,"
            + " activation: sigmoid}, {type: output, size: 10, activation: softmax}]}", 1);
    assertEquals(3, r.exitCode(), r.text());
    assertTrue(r.text().contains("saturation"), "saturated sigmoid units found:\n" + r.text());
  }
}
