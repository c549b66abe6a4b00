package dev.activationmonkey.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.localkafka.KafkaBroker;
import dev.activationmonkey.localkafka.KafkaFixture;
import dev.activationmonkey.snapshot.SnapshotIdentity;
import dev.activationmonkey.snapshot.avro.Evaluation;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.RunEnd;
import dev.activationmonkey.snapshot.avro.RunStart;
import dev.activationmonkey.snapshot.avro.RunStatus;
import dev.activationmonkey.trainer.cli.TrainCommand;
import dev.activationmonkey.trainer.spec.JobSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecordBase;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@code monkey train} with {@code network.graph-json} (a ComputationGraph with a skip connection, written as DL4J's
 * JSON) and {@code network.zoo}, trained by the trainer's own parameter averaging on 2 Spark workers over the bundled
 * MNIST, against the real broker; every record read back with a plain consumer.
 */
class NetworkKindsIT {
  @TempDir
  Path temp;

  @Test
  void aGraphJsonJobTrainsTheGraphAndLogsEveryVertexByName() throws Exception {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "graph-job-it-" + System.nanoTime();
    broker.createTopic(topic, 2);
    Path json = temp.resolve("graph.json");
    Files.writeString(json, new NeuralNetConfiguration.Builder().seed(7).updater(new Sgd(0.1)).graphBuilder()
        .addInputs("pixels")
        .setInputTypes(InputType.feedForward(784))
        .addLayer("d1", new DenseLayer.Builder().nOut(16).activation(Activation.RELU).build(), "pixels")
        .addLayer("d2", new DenseLayer.Builder().nOut(16).activation(Activation.TANH).build(), "d1")
        .addVertex("skip", new ElementWiseVertex(ElementWiseVertex.Op.Add), "d1", "d2")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
            .activation(Activation.SOFTMAX).build(), "skip")
        .setOutputs("out")
        .build().toJson());
    Path checkpoints = temp.resolve("checkpoints");
    Path yaml = temp.resolve("graph-job.yaml");
    Files.writeString(yaml, """
        name: graph
        data: {limit: 256, test-fraction: 0.25, batch-size: 16}
        network:
          graph-json: %s
        training:
          epochs: 2
          workers: 2
          master: "local[2]"
          checkpoint-dir: %s
          parameter-averaging: {averaging-frequency: 3}
        logging:
          every: 1
          kafka: {bootstrap-servers: %s, topic: %s, spill-dir: %s}
        """.formatted(json, checkpoints, broker.bootstrapServers(), topic, temp.resolve("spill")));

    ByteArrayOutputStream console = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int exit;
    System.setOut(new PrintStream(console, true, StandardCharsets.UTF_8));
    try {
      exit = TrainCommand.execute("--config", yaml.toString());
    } finally {
      System.setOut(original);
    }
    String log = console.toString(StandardCharsets.UTF_8);
    System.out.println(log);
    assertEquals(ExitCode.OK, exit, log);
    assertTrue(log.contains("training graph d1-d2-skip-out ("), "vertex names in the log:\n" + log);

    List<SpecificRecordBase> records = TopicReader.readAll(broker.bootstrapServers(), topic,
        r -> r.stream().anyMatch(x -> x instanceof RunEnd), Duration.ofSeconds(60));
    List<LayerSnapshot> snapshots = records.stream().filter(r -> r instanceof LayerSnapshot)
        .map(r -> (LayerSnapshot) r).toList();
    RunEnd end = records.stream().filter(r -> r instanceof RunEnd).map(r -> (RunEnd) r).findFirst().orElseThrow();
    assertEquals(RunStatus.SUCCEEDED, end.getStatus());
    assertEquals(end.getSnapshotsSent(), snapshots.size(), "snapshots sent = snapshot records on the topic");
    assertEquals(0, end.getSnapshotsSpilled() + end.getSnapshotsDropped());
    Set<SnapshotIdentity> identities = new HashSet<>();
    snapshots.forEach(s -> identities.add(SnapshotIdentity.of(s)));
    assertEquals(snapshots.size(), identities.size(), "identities are unique");
    // 192 training examples on 2 workers in batches of 16: 6 steps per worker per epoch, 24 in two epochs.
    assertEquals(24, end.getIterations());
    Map<String, Set<String>> slots = snapshots.stream().collect(Collectors.groupingBy(
        s -> s.getLayerIndex() + ":" + s.getLayerName(), Collectors.mapping(s -> s.getKind() + "/"
            + (s.getParameterName() == null ? "" : s.getParameterName()), Collectors.toCollection(TreeSet::new))));
    Set<String> layer = Set.of("ACTIVATION/", "GRADIENT/W", "GRADIENT/b", "PARAMETER/W", "PARAMETER/b", "UPDATE/W",
        "UPDATE/b");
    assertEquals(Map.of("0:d1", layer, "1:d2", layer, "2:skip", Set.of("ACTIVATION/"), "3:out", layer), slots,
        "one snapshot set per vertex, by vertex name and topological index");
    assertEquals(24 * (3 * 7 + 1), snapshots.size(), "every step: 3 layers x 7 snapshots + the skip vertex");
    for (LayerSnapshot s : snapshots) {
      if (s.getLayerName().toString().equals("skip")) {
        assertEquals(16, s.getNeurons().getFiringRate().size(), "per unit of the element-wise vertex");
      }
    }

    RunStart start = records.stream().filter(r -> r instanceof RunStart).map(r -> (RunStart) r).findFirst()
        .orElseThrow();
    assertEquals(List.of("d1", "d2", "skip", "out"),
        start.getNetwork().getLayers().stream().map(l -> l.getName().toString()).toList());
    assertEquals(List.of("DenseLayer", "DenseLayer", "ElementWiseVertex", "OutputLayer"),
        start.getNetwork().getLayers().stream().map(l -> l.getType().toString()).toList());
    assertEquals(784 * 16 + 16 + 16 * 16 + 16 + 16 * 10 + 10, start.getNetwork().getTotalParameters());

    // The averaged graph learns: the test loss falls from epoch to epoch, and the checkpoints are graphs.
    List<Evaluation> evaluations = records.stream().filter(r -> r instanceof Evaluation).map(r -> (Evaluation) r)
        .toList();
    assertEquals(2, evaluations.size());
    System.out.printf("graph job: test loss %.4f -> %.4f, accuracy %.4f -> %.4f, %d snapshots%n",
        evaluations.get(0).getLoss(), evaluations.get(1).getLoss(), evaluations.get(0).getAccuracy(),
        evaluations.get(1).getAccuracy(), snapshots.size());
    assertTrue(evaluations.get(1).getLoss() < evaluations.get(0).getLoss(), String.valueOf(evaluations));
    List<Path> zips;
    try (var files = Files.list(checkpoints)) {
      zips = files.sorted().toList();
    }
    assertEquals(2, zips.size(), String.valueOf(zips));
    ComputationGraph restored = ModelSerializer.restoreComputationGraph(zips.get(1).toFile());
    assertEquals(start.getNetwork().getTotalParameters(), restored.numParams());
  }

  @Test
  void aZooArchitectureIsBuiltByNameForTheDataAndTrained() {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "zoo-job-it-" + System.nanoTime();
    broker.createTopic(topic, 1);
    JobSpec spec = JobSpec.parse("""
        name: zoo
        data: {limit: 128, test-fraction: 0.25, batch-size: 16}
        network:
          zoo: lenet
          updater: {type: adam, learning-rate: 0.001}
        training: {epochs: 1, workers: 2, master: "local[2]"}
        logging:
          every: 2
          kafka: {bootstrap-servers: %s, topic: %s, spill-dir: %s}
        """.formatted(broker.bootstrapServers(), topic, temp.resolve("zoo-spill")), "zoo.yaml");
    ZooRun run = trainAndRead(spec, broker, topic);
    RunResult result = run.result();
    List<LayerSnapshot> snapshots = run.snapshots();
    RunStart start = run.start();
    List<String> types = start.getNetwork().getLayers().stream().map(l -> l.getType().toString()).toList();
    System.out.println("zoo LeNet: " + types + ", " + start.getNetwork().getTotalParameters() + " parameters, "
        + snapshots.size() + " snapshots, test accuracy " + result.finalAccuracy());
    // DL4J's LeNet: two convolution + max-pooling pairs, a dense layer of 500 and the output layer sized to 10 classes.
    assertEquals(List.of("ConvolutionLayer", "SubsamplingLayer", "ConvolutionLayer", "SubsamplingLayer", "DenseLayer",
        "OutputLayer"), types);
    assertEquals(10L, start.getNetwork().getLayers().get(5).getOutputs());
    assertTrue(snapshots.stream().anyMatch(s -> s.getLayerIndex() == 0 && s.getKind() == Kind.ACTIVATION),
        "the first convolution's activations");
    assertTrue(Double.isFinite(result.finalAccuracy()));
  }

  /**
   * A zoo architecture that is a ComputationGraph: DL4J's SqueezeNet (fire modules: two convolution branches
   * concatenated by merge vertices), built for MNIST and 10 classes, trained one epoch on 2 workers.
   */
  @Test
  void aZooGraphIsTrainedAndItsMergeVerticesAreLogged() {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "zoo-graph-it-" + System.nanoTime();
    broker.createTopic(topic, 1);
    JobSpec spec = JobSpec.parse("""
        name: squeezenet
        data: {limit: 96, test-fraction: 0.25, batch-size: 12}
        network: {zoo: SqueezeNet}
        training: {epochs: 1, workers: 2, master: "local[2]"}
        logging:
          every: 2
          kafka: {bootstrap-servers: %s, topic: %s, spill-dir: %s}
        """.formatted(broker.bootstrapServers(), topic, temp.resolve("squeezenet-spill")), "squeezenet.yaml");
    long started = System.nanoTime();
    ZooRun run = trainAndRead(spec, broker, topic);
    RunResult result = run.result();
    List<LayerSnapshot> snapshots = run.snapshots();
    RunStart start = run.start();
    var layers = start.getNetwork().getLayers();
    System.out.printf("zoo SqueezeNet: %d vertices, %,d parameters, %d snapshots, test accuracy %.3f, %.1f s%n",
        layers.size(), start.getNetwork().getTotalParameters(), snapshots.size(), result.finalAccuracy(),
        (System.nanoTime() - started) / 1e9);
    assertTrue(layers.size() > 50, "every vertex of the graph: " + layers.size());
    Set<String> merges = layers.stream().filter(l -> l.getType().toString().equals("MergeVertex"))
        .map(l -> l.getName().toString()).collect(Collectors.toSet());
    assertTrue(merges.size() >= 4, "fire modules' merge vertices: " + merges);
    Set<String> logged = snapshots.stream().map(x -> x.getLayerName().toString()).collect(Collectors.toSet());
    assertTrue(merges.stream().anyMatch(logged::contains), "a merge vertex's activations are logged: " + logged);
    assertTrue(Double.isFinite(result.finalAccuracy()));
  }

  private record ZooRun(RunResult result, List<LayerSnapshot> snapshots, RunStart start) {}

  /** Trains the spec, checks it succeeded and that the snapshots it counted are on the topic, and reads them back. */
  private static ZooRun trainAndRead(JobSpec spec, KafkaBroker broker, String topic) {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    RunResult result = new Trainer().run(spec, new PrintStream(console, true, StandardCharsets.UTF_8), false);
    String log = console.toString(StandardCharsets.UTF_8);
    System.out.println(log);
    assertEquals(RunStatus.SUCCEEDED, result.status(), log);
    List<SpecificRecordBase> records = TopicReader.readAll(broker.bootstrapServers(), topic,
        r -> r.stream().anyMatch(x -> x instanceof RunEnd), Duration.ofSeconds(60));
    List<LayerSnapshot> snapshots = records.stream().filter(r -> r instanceof LayerSnapshot)
        .map(r -> (LayerSnapshot) r).toList();
    assertTrue(result.snapshotsSent() > 0);
    assertEquals(result.snapshotsSent(), snapshots.size(), "snapshots sent = snapshot records on the topic");
    RunStart start = records.stream().filter(r -> r instanceof RunStart).map(r -> (RunStart) r).findFirst()
        .orElseThrow();
    return new ZooRun(result, snapshots, start);
  }
}
