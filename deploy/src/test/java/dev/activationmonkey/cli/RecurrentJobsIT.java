package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.collector.Collector;
import dev.activationmonkey.collector.CollectorConfig;
import dev.activationmonkey.localkafka.KafkaBroker;
import dev.activationmonkey.localkafka.KafkaFixture;
import dev.activationmonkey.trainer.data.SequenceSamples;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code monkey train} on sequences of different lengths ({@code data.format: csv-sequences}, the set
 * {@code monkey data sequences} writes), end to end against the real broker and collector: the example job spec
 * {@code conf/jobs/sequences-lstm.yaml} (an LSTM, one label per sequence) and a bidirectional SimpleRnn with a label
 * per step. Parquet holds one row per snapshot each run sent; the LSTM's activation snapshots count exactly the time
 * steps that exist (padding masked out); the LSTM learns the task (accuracy above chance); the report names the
 * recurrent layers and a heatmap over the LSTM's units renders.
 */
class RecurrentJobsIT {
  private static final Path EXAMPLE = Path.of("src/dist/conf/jobs/sequences-lstm.yaml");

  @TempDir
  Path dir;

  @Test
  void lstmAndBidirectionalJobsOnMaskedSequencesReachParquetTheReportAndAHeatmap() throws Exception {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "recurrent-jobs-" + System.nanoTime();
    broker.createTopic(topic, 2);
    Path train = dir.resolve("sequences");
    Path test = dir.resolve("sequences-test");
    String written = console(() -> monkey("data", "sequences", "--out", train.toString(), "--count", "240"));
    Matcher steps = Pattern.compile("wrote 240 sequences \\(([\\d,]+) time steps\\)").matcher(written);
    assertTrue(steps.find(), written);
    long trainSteps = Long.parseLong(steps.group(1).replace(",", ""));
    SequenceSamples.write(test, 60, 99);
    try (Stream<Path> files = Files.list(train)) {
      assertEquals(240, files.count());
    }

    // The example job spec as shipped, with this test's data, test set, topic and spill directory.
    String example = Files.readString(EXAMPLE);
    String lstmYaml = replace(replace(replace(example, "path: sequences ", "path: " + train + " "),
        "test-fraction: 0.2", "test-path: " + test), "topic: monkey.snapshots",
        "topic: monkey.snapshots\n    spill-dir: " + dir.resolve("spill-lstm"));
    Path lstmJob = dir.resolve("sequences-lstm.yaml");
    Files.writeString(lstmJob, lstmYaml);
    Path biJob = dir.resolve("bidirectional.yaml");
    Files.writeString(biJob, """
        name: sequences-bidirectional
        data:
          format: csv-sequences
          path: %s
          sequence-labels: per-step
          csv: {label-column: -1}
          test-fraction: 0.25
          batch-size: 16
          normalize: standardize
        network:
          updater: {type: adam, learning-rate: 0.02}
          layers:
            - {type: bidirectional, name: both, mode: concat, layer: {type: simple-rnn, size: 6}}
            - {type: rnn-output, name: output}
        training: {epochs: 2, workers: 2, master: "local[2]"}
        logging:
          every: 2
          kafka: {topic: monkey.snapshots, spill-dir: %s}
        """.formatted(train, dir.resolve("spill-bi")));

    // A wrong label column: the executor reading the file names it, the line and the key; exit 2.
    Path wrong = dir.resolve("wrong-label-column.yaml");
    Files.writeString(wrong, lstmYaml.replace("label-column: -1", "label-column: 0"));
    StringWriter refused = new StringWriter();
    CommandLine cli = Monkey.commandLine();
    cli.setOut(new PrintWriter(refused));
    cli.setErr(new PrintWriter(refused));
    int code = cli.execute("train", "--config", wrong.toString(), "--bootstrap-servers", broker.bootstrapServers(),
        "--topic", topic + "-refused");
    System.out.println(refused);
    assertEquals(2, code, refused.toString());
    assertTrue(Pattern.compile("seq-\\d{5}\\.csv:1: label '-?[\\d.]+' is not a class number \\(0, 1, \\.\\.\\.\\)"
        + " \\(data\\.csv\\.label-column is 0: is that the label's column\\? -1 is the last\\)").matcher(refused.toString())
        .find(), refused.toString());

    Path dataset = dir.resolve("dataset");
    String lstmRun;
    String biRun;
    try (Collector collector = Collector.start(CollectorConfig.builder().bootstrapServers(broker.bootstrapServers())
        .topics(topic).groupId("recurrent-jobs-" + System.nanoTime()).datasetRoot(dataset.toString()).build())) {
      lstmRun = runId(console(() -> monkey("train", "--config", lstmJob.toString(), "--bootstrap-servers",
          broker.bootstrapServers(), "--topic", topic)), "sequences-lstm");
      biRun = runId(console(() -> monkey("train", "--config", biJob.toString(), "--bootstrap-servers",
          broker.bootstrapServers(), "--topic", topic)), "sequences-bidirectional");
      collector.awaitCaughtUp(Duration.ofMinutes(2));
    }

    String snapshots = "read_parquet('" + dataset.resolve("snapshots") + "/**/*.parquet', hive_partitioning = true)";
    try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
        Statement statement = connection.createStatement()) {
      for (String run : new String[] {lstmRun, biRun}) {
        try (ResultSet rows = statement.executeQuery("SELECT (SELECT count(*) FROM " + snapshots + " WHERE run_id = '"
            + run + "'), (SELECT max(snapshots_sent) FROM read_parquet('" + dataset.resolve("run_ends")
            + "/**/*.parquet', hive_partitioning = true) WHERE run_id = '" + run + "')")) {
          rows.next();
          System.out.printf("%s: %d Parquet rows, RunEnd says %d sent%n", run, rows.getLong(1), rows.getLong(2));
          assertTrue(rows.getLong(1) > 0);
          assertEquals(rows.getLong(2), rows.getLong(1), "one Parquet row per snapshot " + run + " sent");
        }
      }
      try (ResultSet rows = statement.executeQuery("SELECT run_id, string_agg(DISTINCT layer_name || ':'"
          + " || layer_type || ':' || coalesce(parameter_name, '-'), ',' ORDER BY layer_name || ':' || layer_type"
          + " || ':' || coalesce(parameter_name, '-')) FROM " + snapshots + " GROUP BY run_id ORDER BY run_id")) {
        while (rows.next()) {
          System.out.println(rows.getString(1) + ": " + rows.getString(2));
          // The output layer's activations are not among those DL4J hands listeners during fit (docs/trainer.md, "Recurrent layers"): an RnnOutputLayer reports W and b.
          String expected = rows.getString(1).equals(lstmRun)
              ? "lstm:LSTM:-,lstm:LSTM:RW,lstm:LSTM:W,lstm:LSTM:b,output:RnnOutputLayer:W,output:RnnOutputLayer:b"
              : "both:Bidirectional(SimpleRnn):-,both:Bidirectional(SimpleRnn):bRW,both:Bidirectional(SimpleRnn):bW,"
                  + "both:Bidirectional(SimpleRnn):bb,both:Bidirectional(SimpleRnn):fRW,both:Bidirectional(SimpleRnn):fW,"
                  + "both:Bidirectional(SimpleRnn):fb,output:RnnOutputLayer:W,output:RnnOutputLayer:b";
          assertEquals(expected, rows.getString(2), "layers by name, recurrent weights (RW) apart from input weights (W)");
        }
      }
      // Masks respected: every logged step of every worker is one activation snapshot per layer (logging.every: 1), so
      // over the run the LSTM's activation values are epochs x 16 units x the time steps that exist in the training
      // sequences; the padding of shorter sequences in each batch would add to it.
      try (ResultSet rows = statement.executeQuery("SELECT sum(count), count(*), max(epoch) + 1 FROM " + snapshots
          + " WHERE run_id = '" + lstmRun + "' AND kind = 'activation' AND layer_name = 'lstm'")) {
        rows.next();
        long epochs = rows.getLong(3);
        System.out.printf("LSTM activations: %d values in %d snapshots over %d epochs; %d training steps x 16 units%n",
            rows.getLong(1), rows.getLong(2), epochs, trainSteps);
        assertEquals(5, epochs);
        assertEquals(epochs * 16 * trainSteps, rows.getLong(1), "unmasked steps only");
      }
      try (ResultSet rows = statement.executeQuery("SELECT epoch, accuracy FROM read_parquet('"
          + dataset.resolve("evaluations") + "/**/*.parquet', hive_partitioning = true) WHERE run_id = '" + lstmRun
          + "' ORDER BY epoch")) {
        double last = Double.NaN;
        while (rows.next()) {
          last = rows.getDouble(2);
          System.out.printf("LSTM epoch %d: test accuracy %.3f%n", rows.getInt(1), last);
        }
        assertTrue(last > 0.5, "the LSTM learns what the first step tells (chance: 1/3): " + last);
      }
    }

    String lstmReport = monkey("report", "--data", dataset.toString(), "--run", lstmRun);
    System.out.println(lstmReport);
    assertTrue(lstmReport.contains("lstm") && lstmReport.contains("LSTM"), lstmReport);
    String biReport = monkey("report", "--data", dataset.toString(), "--run", biRun);
    assertTrue(biReport.contains("both"), biReport);
    Path png = dir.resolve("lstm-firing.png");
    String heatmap = monkey("heatmap", "--data", dataset.toString(), "--run", lstmRun, "--metric", "firing-rate",
        "--layer", "0", "--out", png.toString());
    System.out.println(heatmap);
    assertTrue(heatmap.contains("(16 rows x "), "a row per LSTM unit: " + heatmap);
    assertTrue(Files.size(png) > 1000, "a heatmap PNG");
  }

  private static String replace(String text, String from, String to) {
    assertTrue(text.contains(from), "the example job spec has '" + from + "'");
    return text.replace(from, to);
  }

  private static String runId(String log, String name) {
    System.out.println(log);
    Matcher id = Pattern.compile("run (" + Pattern.quote(name) + "-\\S+): training").matcher(log);
    assertTrue(id.find(), log);
    return id.group(1);
  }

  /** What {@code action} printed to System.out (the train and data commands print there), with its CLI output. */
  private static String console(java.util.concurrent.Callable<String> action) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream original = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    String cli;
    try {
      cli = action.call();
    } finally {
      System.setOut(original);
    }
    return out.toString(StandardCharsets.UTF_8) + cli;
  }

  private static String monkey(String... args) {
    StringWriter out = new StringWriter();
    CommandLine cli = Monkey.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(out));
    int code = cli.execute(args);
    assertEquals(0, code, String.join(" ", args) + ":\n" + out);
    return out.toString();
  }
}
