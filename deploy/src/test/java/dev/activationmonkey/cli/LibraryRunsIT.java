package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.collector.Collector;
import dev.activationmonkey.collector.CollectorConfig;
import dev.activationmonkey.localkafka.KafkaBroker;
import dev.activationmonkey.localkafka.KafkaFixture;
import dev.activationmonkey.trainer.RunResult;
import dev.activationmonkey.trainer.api.ActivationMonkey;
import dev.activationmonkey.trainer.api.MonitoredRun;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import picocli.CommandLine;

/**
 * A ComputationGraph with skip connections and an LSTM, trained through the library (dev.activationmonkey.trainer.api)
 * in this JVM, end to end: the real broker, the collector's Parquet (one row per snapshot the library counted, read by
 * DuckDB), and the report and heatmaps over both runs. Beside them, {@code monkey train} with {@code network.graph-json}:
 * its Parquet rows = its RunEnd's count, its vertices by name.
 */
class LibraryRunsIT {
  @TempDir
  Path dir;

  @Test
  void graphAndLstmRunsReachParquetTheReportAndHeatmaps() throws Exception {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "library-runs-" + System.nanoTime();
    broker.createTopic(topic, 1);
    Path dataset = dir.resolve("dataset");
    ActivationMonkey monkey = ActivationMonkey.forRun("library").kafka(broker.bootstrapServers()).topic(topic).every(2)
        .spillDirectory(dir.resolve("spill")).build();
    RunResult graph;
    RunResult lstm;
    String graphJob;
    try (Collector collector = Collector.start(CollectorConfig.builder().bootstrapServers(broker.bootstrapServers())
        .topics(topic).groupId("library-runs-" + System.nanoTime()).datasetRoot(dataset.toString()).build())) {
      graph = trainGraph(monkey);
      lstm = trainLstm(monkey);
      graphJob = trainGraphJob(broker, topic);
      collector.awaitCaughtUp(Duration.ofMinutes(2));
    }
    try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
        Statement statement = connection.createStatement()) {
      for (RunResult run : List.of(graph, lstm)) {
        try (ResultSet rows = statement.executeQuery("SELECT count(*) FROM read_parquet('" + dataset.resolve("snapshots")
            + "/**/*.parquet', hive_partitioning = true) WHERE run_id = '" + run.runId() + "'")) {
          rows.next();
          assertTrue(run.snapshotsSent() > 0);
          assertEquals(run.snapshotsSent(), rows.getLong(1), "one Parquet row per snapshot of " + run.runId());
        }
      }
      try (ResultSet rows = statement.executeQuery("SELECT string_agg(DISTINCT layer_name, ',' ORDER BY layer_name)"
          + " FROM read_parquet('" + dataset.resolve("snapshots") + "/**/*.parquet', hive_partitioning = true)"
          + " WHERE run_id = '" + graph.runId() + "'")) {
        rows.next();
        assertEquals("d1,d2,merge,out,skip", rows.getString(1), "vertex names in the log");
      }
    }
    // monkey train with network.graph-json: Parquet rows = the run's RunEnd count, every vertex by name.
    try (Connection connection = DriverManager.getConnection("jdbc:duckdb:");
        Statement statement = connection.createStatement()) {
      try (ResultSet rows = statement.executeQuery("SELECT (SELECT count(*) FROM read_parquet('"
          + dataset.resolve("snapshots") + "/**/*.parquet', hive_partitioning = true) WHERE run_id = '" + graphJob
          + "'), (SELECT string_agg(DISTINCT layer_name, ',' ORDER BY layer_name) FROM read_parquet('"
          + dataset.resolve("snapshots") + "/**/*.parquet', hive_partitioning = true) WHERE run_id = '" + graphJob
          + "'), (SELECT max(snapshots_sent) FROM read_parquet('" + dataset.resolve("run_ends")
          + "/**/*.parquet', hive_partitioning = true) WHERE run_id = '" + graphJob + "')")) {
        rows.next();
        System.out.printf("monkey train graph-json %s: %d Parquet rows, RunEnd says %d sent%n", graphJob,
            rows.getLong(1), rows.getLong(3));
        assertTrue(rows.getLong(1) > 0);
        assertEquals(rows.getLong(3), rows.getLong(1), "one Parquet row per snapshot monkey train sent");
        assertEquals("d1,d2,out,skip", rows.getString(2), "vertex names in the log");
      }
    }
    for (RunResult run : List.of(graph, lstm)) {
      String report = monkey("report", "--data", dataset.toString(), "--run", run.runId());
      System.out.println(report);
      assertTrue(report.contains(run.runId()), report);
      Path png = dir.resolve(run.runId() + ".png");
      monkey("heatmap", "--data", dataset.toString(), "--run", run.runId(), "--metric", "firing-rate", "--layer", "0",
          "--out", png.toString());
      assertTrue(Files.size(png) > 1000, "a heatmap PNG for " + run.runId());
    }
    String graphReport = monkey("report", "--data", dataset.toString(), "--run", graph.runId());
    assertTrue(graphReport.contains("merge") && graphReport.contains("skip"), "vertices by name:\n" + graphReport);
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

  /** {@code monkey train} on a graph JSON with a skip connection; returns the run id. */
  private String trainGraphJob(KafkaBroker broker, String topic) throws Exception {
    Path json = dir.resolve("graph.json");
    Files.writeString(json, new NeuralNetConfiguration.Builder().seed(5).updater(new Adam(1e-2)).graphBuilder()
        .addInputs("pixels")
        .setInputTypes(InputType.feedForward(784))
        .addLayer("d1", new DenseLayer.Builder().nOut(8).activation(Activation.RELU).build(), "pixels")
        .addLayer("d2", new DenseLayer.Builder().nOut(8).activation(Activation.RELU).build(), "d1")
        .addVertex("skip", new ElementWiseVertex(ElementWiseVertex.Op.Add), "d1", "d2")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
            .activation(Activation.SOFTMAX).build(), "skip")
        .setOutputs("out")
        .build().toJson());
    Path yaml = dir.resolve("graph-job.yaml");
    Files.writeString(yaml, """
        name: graph-job
        data: {limit: 128, test-fraction: 0.25, batch-size: 16}
        network: {graph-json: %s}
        training: {epochs: 1, workers: 2, master: "local[2]"}
        logging:
          every: 2
          kafka: {bootstrap-servers: %s, topic: %s, spill-dir: %s}
        """.formatted(json, broker.bootstrapServers(), topic, dir.resolve("graph-job-spill")));
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.PrintStream original = System.out;
    System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      monkey("train", "--config", yaml.toString());
    } finally {
      System.setOut(original);
    }
    String log = out.toString(java.nio.charset.StandardCharsets.UTF_8);
    System.out.println(log);
    java.util.regex.Matcher id = java.util.regex.Pattern.compile("run (graph-job-\\S+): training graph d1-d2-skip-out")
        .matcher(log);
    assertTrue(id.find(), log);
    return id.group(1);
  }

  private static RunResult trainGraph(ActivationMonkey monkey) {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).updater(new Adam(1e-2))
        .graphBuilder()
        .addInputs("in")
        .setInputTypes(InputType.feedForward(8))
        .addLayer("d1", new DenseLayer.Builder().nOut(12).activation(Activation.RELU).build(), "in")
        .addLayer("d2", new DenseLayer.Builder().nOut(12).activation(Activation.RELU).build(), "d1")
        .addVertex("skip", new ElementWiseVertex(ElementWiseVertex.Op.Add), "d1", "d2")
        .addVertex("merge", new MergeVertex(), "skip", "in")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
            .activation(Activation.SOFTMAX).build(), "merge")
        .setOutputs("out")
        .build();
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    Random random = new Random(1);
    List<DataSet> batches = new ArrayList<>();
    for (int b = 0; b < 10; b++) {
      INDArray x = Nd4j.randn(random.nextLong(), new long[] {16, 8}).castTo(DataType.FLOAT);
      INDArray y = Nd4j.zeros(DataType.FLOAT, 16, 2);
      for (int i = 0; i < 16; i++) {
        y.putScalar(i, x.getDouble(i, 0) > 0 ? 1 : 0, 1);
      }
      batches.add(new DataSet(x, y));
    }
    try (MonitoredRun run = monkey.instrument(net)) {
      for (int epoch = 0; epoch < 2; epoch++) {
        batches.forEach(net::fit);
      }
      return run.finish();
    }
  }

  private static RunResult trainLstm(ActivationMonkey monkey) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(4).updater(new Adam(1e-2)).list()
        .layer(new LSTM.Builder().nIn(2).nOut(6).activation(Activation.TANH).build())
        .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(2)
            .activation(Activation.SOFTMAX).build())
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    Random random = new Random(2);
    List<DataSet> batches = new ArrayList<>();
    for (int b = 0; b < 10; b++) {
      INDArray x = Nd4j.zeros(DataType.FLOAT, 8, 2, 5);
      INDArray y = Nd4j.zeros(DataType.FLOAT, 8, 2, 5);
      for (int i = 0; i < 8; i++) {
        for (int t = 0; t < 5; t++) {
          double v = random.nextGaussian();
          x.putScalar(new long[] {i, 0, t}, v);
          x.putScalar(new long[] {i, 1, t}, random.nextGaussian());
          y.putScalar(new long[] {i, v > 0 ? 1 : 0, t}, 1);
        }
      }
      batches.add(new DataSet(x, y));
    }
    try (MonitoredRun run = monkey.instrument(net)) {
      batches.forEach(net::fit);
      return run.finish();
    }
  }
}
