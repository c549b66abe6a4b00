package dev.activationmonkey.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.localkafka.KafkaBroker;
import dev.activationmonkey.localkafka.KafkaFixture;
import dev.activationmonkey.snapshot.SnapshotIdentity;
import dev.activationmonkey.snapshot.avro.Evaluation;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.NeuronUnit;
import dev.activationmonkey.snapshot.avro.RunEnd;
import dev.activationmonkey.snapshot.avro.RunStart;
import dev.activationmonkey.snapshot.avro.RunStatus;
import dev.activationmonkey.trainer.api.ActivationMonkey;
import dev.activationmonkey.trainer.api.MonitoredRun;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
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
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The library ({@code dev.activationmonkey.trainer.api}) the way a team's own job uses it: its own SparkDl4jMultiLayer
 * and training master, its own ComputationGraph with skip connections, its own LSTM on masked sequences, each against
 * the real broker and read back with a plain consumer. The statistics of one graph vertex and of one recurrent layer
 * are recomputed in plain Java from the same arrays.
 */
class LibraryIT {
  @TempDir
  Path temp;

  private static final int FEATURES = 8;
  private static final int CLASSES = 3;

  /** Batches of {@code batch} random examples; the class is the largest of the first three features. */
  private static List<DataSet> batches(int count, int batch, long seed) {
    Random random = new Random(seed);
    List<DataSet> out = new ArrayList<>();
    for (int b = 0; b < count; b++) {
      float[][] x = new float[batch][FEATURES];
      float[][] y = new float[batch][CLASSES];
      for (int i = 0; i < batch; i++) {
        for (int f = 0; f < FEATURES; f++) {
          x[i][f] = (float) random.nextGaussian();
        }
        int c = x[i][0] >= x[i][1] && x[i][0] >= x[i][2] ? 0 : x[i][1] >= x[i][2] ? 1 : 2;
        y[i][c] = 1;
      }
      out.add(new DataSet(Nd4j.create(x), Nd4j.create(y)));
    }
    return out;
  }

  private static List<SpecificRecordBase> topic(KafkaBroker broker, String topic) {
    return TopicReader.readAll(broker.bootstrapServers(), topic, r -> r.stream().anyMatch(x -> x instanceof RunEnd),
        Duration.ofSeconds(60));
  }

  private static List<LayerSnapshot> snapshots(List<SpecificRecordBase> records) {
    return records.stream().filter(r -> r instanceof LayerSnapshot).map(r -> (LayerSnapshot) r).toList();
  }

  private static <T> T only(List<SpecificRecordBase> records, Class<T> type) {
    List<T> found = records.stream().filter(type::isInstance).map(type::cast).toList();
    assertEquals(1, found.size(), type.getSimpleName() + " records");
    return found.get(0);
  }

  private ActivationMonkey monkey(KafkaBroker broker, String topic, String name) {
    return ActivationMonkey.forRun(name).kafka(broker.bootstrapServers()).topic(topic).every(1).histogramBins(8)
        .spillDirectory(temp.resolve("spill")).tag("team", "it").build();
  }

  @Test
  void aTeamsOwnSparkJobIsInstrumentedWithTheSameCountsAsMonkeyTrain() {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "library-spark-it-" + System.nanoTime();
    broker.createTopic(topic, 2);
    SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("library-it")
        .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
        .set("spark.ui.enabled", "false");
    JavaSparkContext sc = new JavaSparkContext(conf);
    try {
      MultiLayerConfiguration netConf = new NeuralNetConfiguration.Builder().seed(7).updater(new Sgd(0.1)).list()
          .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(6).activation(Activation.RELU).build())
          .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(CLASSES)
              .activation(Activation.SOFTMAX).build())
          .build();
      ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(16)
          .batchSizePerWorker(16).averagingFrequency(2).workerPrefetchNumBatches(0)
          .rddTrainingApproach(RDDTrainingApproach.Direct).repartionData(Repartition.Never).build();
      SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, netConf, master);
      JavaRDD<DataSet> train = sc.parallelize(batches(8, 16, 1), 2);
      JavaRDD<DataSet> test = sc.parallelize(batches(2, 16, 2), 2);

      RunResult result;
      try (MonitoredRun run = monkey(broker, topic, "own-spark-job").instrument(sparkNet)) {
        for (int epoch = 0; epoch < 2; epoch++) {
          sparkNet.fit(train);
          run.evaluation(sparkNet.evaluate(test), Double.NaN);
        }
        result = run.finish();
      }
      System.out.println("library, Spark: " + result.summary());
      // After the run, the next fit trains without the run's listener: nothing more reaches the topic.
      sparkNet.fit(train);

      List<SpecificRecordBase> records = topic(broker, topic);
      List<LayerSnapshot> snapshots = snapshots(records);
      assertEquals(result.snapshotsSent(), snapshots.size(), "RunResult.snapshotsSent = snapshot records on the topic");
      assertEquals(0, result.spilled() + result.dropped());
      assertEquals(2, result.epochs());
      // 8 batches per epoch, 2 epochs: every batch is one iteration of some worker.
      assertEquals(16, result.iterations(), "iterations counted on the executors");
      assertEquals(16 * 16, result.examples());
      // Per worker step: 2 activations + 3 kinds x 2 layers x (W, b).
      assertEquals(16 * 14, snapshots.size());
      Set<SnapshotIdentity> identities = new HashSet<>();
      snapshots.forEach(s -> identities.add(SnapshotIdentity.of(s)));
      System.out.printf("library, Spark: %d snapshots, %d distinct identities, iterations %s%n", snapshots.size(),
          identities.size(), snapshots.stream().map(s -> s.getWorker().getPartitionId() + ":" + s.getIteration())
              .collect(Collectors.toCollection(TreeSet::new)));
      assertTrue(snapshots.stream().allMatch(s -> s.getWorker().getPartitionId() >= 0), "stamped with Spark tasks");

      RunStart start = only(records, RunStart.class);
      assertEquals(result.runId(), start.getRunId());
      assertEquals("ParameterAveragingTrainingMaster", start.getTrainingMaster());
      assertEquals(2, start.getNetwork().getLayers().size());
      assertEquals("it", start.getTags().get("team"));
      List<Evaluation> evaluations = records.stream().filter(r -> r instanceof Evaluation).map(r -> (Evaluation) r)
          .toList();
      assertEquals(2, evaluations.size());
      assertEquals(result.finalAccuracy(), evaluations.get(1).getAccuracy(), 1e-12);
      RunEnd end = only(records, RunEnd.class);
      assertEquals(RunStatus.SUCCEEDED, end.getStatus());
      assertEquals(result.snapshotsSent(), end.getSnapshotsSent());
      assertEquals(16, end.getIterations());
      assertEquals(3, result.runRecordsSent(), "RunStart and two Evaluations");
    } finally {
      sc.stop();
    }
  }

  /**
   * The library under dl4j-spark's gradient sharing: the listener reaches the workers through {@code setListeners} as
   * with parameter averaging; the job passes each epoch's data through {@code run.feed}, whose tasks number the steps
   * and count the work; ending the run settles the snapshots sent after their task completed. Every snapshot sent is on
   * the topic, once.
   */
  @Test
  void aTeamsOwnSharedGradientsJobIsInstrumentedToo() throws Exception {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "library-shared-it-" + System.nanoTime();
    broker.createTopic(topic, 2);
    SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("library-shared-it")
        .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
        .set("spark.ui.enabled", "false");
    JavaSparkContext sc = new JavaSparkContext(conf);
    int port;
    try (java.net.DatagramSocket socket = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    try {
      MultiLayerConfiguration netConf = new NeuralNetConfiguration.Builder().seed(7).updater(new Sgd(0.1)).list()
          .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(6).activation(Activation.RELU).build())
          .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(CLASSES)
              .activation(Activation.SOFTMAX).build())
          .build();
      VoidConfiguration voidConf = VoidConfiguration.builder().controllerAddress("127.0.0.1")
          .networkMask("127.0.0.0/8").unicastPort(port).build();
      SharedTrainingMaster master = new SharedTrainingMaster.Builder(voidConf, 16).batchSizePerWorker(16)
          .workersPerNode(1).rngSeed(7).rddTrainingApproach(RDDTrainingApproach.Direct).build();
      SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, netConf, master);
      JavaRDD<DataSet> train = sc.parallelize(batches(8, 16, 1), 2);

      RunResult result;
      try (MonitoredRun run = monkey(broker, topic, "own-shared-job").instrument(sparkNet)) {
        for (int epoch = 0; epoch < 2; epoch++) {
          sparkNet.fit(run.feed(train)); // the feeding tasks number the steps and count the work
        }
        result = run.finish();
      }
      System.out.println("library, shared gradients: " + result.summary());

      List<SpecificRecordBase> records = topic(broker, topic);
      List<LayerSnapshot> snapshots = snapshots(records);
      assertTrue(result.snapshotsSent() > 0, "the workers' listener logged: " + result.summary());
      assertEquals(result.snapshotsSent(), snapshots.size(), "RunResult.snapshotsSent = snapshot records on the topic");
      assertEquals(0, result.spilled() + result.dropped());
      assertEquals(16, result.iterations(), "8 batches in each of 2 epochs, counted as the trainers took them");
      assertEquals(2, result.epochs(), "the epochs fed");
      assertEquals(16 * 16, result.examples());
      assertTrue(snapshots.stream().allMatch(s -> s.getWorker().getPartitionId() >= 0), "stamped with Spark tasks");
      Set<SnapshotIdentity> identities = new HashSet<>();
      snapshots.forEach(s -> identities.add(SnapshotIdentity.of(s)));
      assertEquals(snapshots.size(), identities.size(), "one record per identity: steps are numbered, never repeated");
      // Every step is logged (every 1) with its activations: 2 layers' activations per step and worker.
      assertEquals(16 * 2, snapshots.stream().filter(s -> s.getKind() == Kind.ACTIVATION).count(),
          "activations of both layers at each of the 16 steps");
      assertEquals("SharedTrainingMaster", only(records, RunStart.class).getTrainingMaster().toString());
      RunEnd end = only(records, RunEnd.class);
      assertEquals(RunStatus.SUCCEEDED, end.getStatus());
      assertEquals(result.snapshotsSent(), end.getSnapshotsSent());
    } finally {
      sc.stop();
    }
  }

  @Test
  void aComputationGraphWithSkipConnectionsReportsEveryVertex() {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "library-graph-it-" + System.nanoTime();
    broker.createTopic(topic, 1);
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(11).updater(new Sgd(0.05))
        .graphBuilder()
        .addInputs("in")
        .setInputTypes(InputType.feedForward(FEATURES))
        .addLayer("d1", new DenseLayer.Builder().nOut(6).activation(Activation.RELU).build(), "in")
        .addLayer("d2", new DenseLayer.Builder().nOut(6).activation(Activation.TANH).build(), "d1")
        .addVertex("skip", new ElementWiseVertex(ElementWiseVertex.Op.Add), "d1", "d2")
        .addVertex("merge", new MergeVertex(), "skip", "d1")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES)
            .activation(Activation.SOFTMAX).build(), "merge")
        .setOutputs("out")
        .build();
    ComputationGraph graph = new ComputationGraph(conf);
    graph.init();
    List<DataSet> data = batches(5, 16, 3);
    ComputationGraph before = graph.clone();

    RunResult result;
    try (MonitoredRun run = monkey(broker, topic, "own-graph").instrument(graph)) {
      data.forEach(graph::fit);
      result = run.finish();
    }
    System.out.println("library, graph: " + result.summary());
    List<SpecificRecordBase> records = topic(broker, topic);
    List<LayerSnapshot> snapshots = snapshots(records);
    assertEquals(result.snapshotsSent(), snapshots.size());
    assertEquals(5, result.iterations());
    Map<String, Set<String>> slots = snapshots.stream().filter(s -> s.getIteration() == 0).collect(Collectors.groupingBy(
        LayerSnapshot::getLayerName, Collectors.mapping(s -> s.getKind() + "/" + (s.getParameterName() == null ? ""
            : s.getParameterName()), Collectors.toCollection(TreeSet::new))));
    Set<String> layerSlots = Set.of("ACTIVATION/", "GRADIENT/W", "GRADIENT/b", "PARAMETER/W", "PARAMETER/b",
        "UPDATE/W", "UPDATE/b");
    assertEquals(Map.of("d1", layerSlots, "d2", layerSlots, "skip", Set.of("ACTIVATION/"), "merge",
        Set.of("ACTIVATION/"), "out", layerSlots), slots, "one snapshot set per vertex, by vertex name");
    assertEquals(5 * (3 * 7 + 2), snapshots.size(), "every iteration: 3 layers x 7 + 2 parameterless vertices");
    RunStart start = only(records, RunStart.class);
    assertEquals(List.of("d1", "d2", "skip", "merge", "out"),
        start.getNetwork().getLayers().stream().map(l -> l.getName().toString()).toList());
    assertEquals(List.of("DenseLayer", "DenseLayer", "ElementWiseVertex", "MergeVertex", "OutputLayer"),
        start.getNetwork().getLayers().stream().map(l -> l.getType().toString()).toList());

    // The element-wise vertex at the first step, recomputed in plain Java from the untrained graph's forward pass.
    INDArray skip = before.feedForward(data.get(0).getFeatures(), false).get("skip");
    LayerSnapshot logged = snapshots.stream().filter(s -> s.getIteration() == 0 && s.getLayerName().toString()
        .equals("skip") && s.getKind() == Kind.ACTIVATION).findFirst().orElseThrow();
    PlainStats expected = PlainStats.perUnit(rows(skip));
    expected.assertMatches(logged);
    assertEquals(2, logged.getLayerIndex(), "index in topological order after the inputs");
  }

  @Test
  void recurrentLayersReportPerUnitOverBatchAndUnmaskedTimeStepsAndRecurrentWeightsApart() {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "library-rnn-it-" + System.nanoTime();
    broker.createTopic(topic, 1);
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).updater(new Sgd(0.05)).list()
        .layer(new LSTM.Builder().nIn(3).nOut(5).activation(Activation.TANH).build())
        .layer(new Bidirectional(new SimpleRnn.Builder().nIn(5).nOut(4).activation(Activation.SIGMOID).build()))
        .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(2)
            .activation(Activation.SOFTMAX).build())
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    List<DataSet> data = sequences(4, 6, 7, 9);
    MultiLayerNetwork before = net.clone();

    RunResult result;
    try (MonitoredRun run = monkey(broker, topic, "own-lstm").instrument(net)) {
      data.forEach(net::fit);
      result = run.finish();
    }
    System.out.println("library, recurrent: " + result.summary());
    List<LayerSnapshot> snapshots = snapshots(topic(broker, topic));
    assertEquals(result.snapshotsSent(), snapshots.size());
    Map<Integer, Set<String>> slots = snapshots.stream().filter(s -> s.getIteration() == 0).collect(
        Collectors.groupingBy(LayerSnapshot::getLayerIndex, Collectors.mapping(s -> s.getKind() + "/"
            + (s.getParameterName() == null ? "" : s.getParameterName()), Collectors.toCollection(TreeSet::new))));
    assertEquals(Set.of("ACTIVATION/", "GRADIENT/W", "GRADIENT/RW", "GRADIENT/b", "PARAMETER/W", "PARAMETER/RW",
        "PARAMETER/b", "UPDATE/W", "UPDATE/RW", "UPDATE/b"), slots.get(0), "LSTM: input and recurrent weights apart");
    assertTrue(slots.get(1).containsAll(Set.of("GRADIENT/fW", "GRADIENT/fRW", "GRADIENT/bW", "GRADIENT/bRW",
        "ACTIVATION/")), "Bidirectional: both directions' W and RW apart: " + slots.get(1));

    // Layer 0 at the first step, recomputed from the untrained network's forward pass with the same mask.
    DataSet first = data.get(0);
    INDArray lstm = before.feedForward(first.getFeatures(), first.getFeaturesMaskArray(), first.getLabelsMaskArray())
        .get(1);
    List<double[]> steps = unmaskedSteps(lstm, first.getFeaturesMaskArray());
    LayerSnapshot logged = snapshots.stream().filter(s -> s.getIteration() == 0 && s.getLayerIndex() == 0
        && s.getKind() == Kind.ACTIVATION).findFirst().orElseThrow();
    PlainStats.perUnit(steps).assertMatches(logged);
    assertEquals("tanh", logged.getActivationFunction());
    assertNotNull(logged.getSaturatedFraction(), "tanh units report saturation");
    LayerSnapshot bidirectional = snapshots.stream().filter(s -> s.getIteration() == 0 && s.getLayerIndex() == 1
        && s.getKind() == Kind.ACTIVATION).findFirst().orElseThrow();
    assertEquals("sigmoid", bidirectional.getActivationFunction());
    assertEquals(8, bidirectional.getNeurons().getFiringRate().size(), "both directions' units, concatenated");
    assertEquals(steps.size() * 8L, bidirectional.getCount(), "masked steps left out");
    assertNull(snapshots.stream().filter(s -> s.getLayerIndex() == 2 && s.getKind() == Kind.ACTIVATION).findFirst()
        .orElse(null), "an RnnOutputLayer's activations are not recomputed (DL4J does not hand them to listeners)");
  }

  @Test
  void aParallelWrapperReportsEachReplicaAsAWorkerOfItsOwn() {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "library-wrapper-it-" + System.nanoTime();
    broker.createTopic(topic, 2);
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(9).updater(new Sgd(0.1)).list()
        .layer(new DenseLayer.Builder().nIn(FEATURES).nOut(6).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(6).nOut(CLASSES)
            .activation(Activation.SOFTMAX).build())
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    ParallelWrapper wrapper = new ParallelWrapper.Builder<>(net).workers(2).prefetchBuffer(2).averagingFrequency(2)
        .trainingMode(ParallelWrapper.TrainingMode.AVERAGING).build();
    RunResult result;
    try (MonitoredRun run = monkey(broker, topic, "own-wrapper").instrument(wrapper)) {
      wrapper.fit(new ListDataSetIterator<>(batches(8, 16, 4), 1));
      result = run.finish();
    } finally {
      wrapper.shutdown();
    }
    System.out.println("library, ParallelWrapper: " + result.summary());
    List<SpecificRecordBase> records = topic(broker, topic);
    List<LayerSnapshot> snapshots = snapshots(records);
    assertEquals(result.snapshotsSent(), snapshots.size(), "RunResult.snapshotsSent = snapshot records on the topic");
    assertEquals(8, result.iterations(), "every batch trained once, by one replica or the other");
    assertEquals(8 * 14, snapshots.size());
    Set<SnapshotIdentity> identities = new HashSet<>();
    snapshots.forEach(s -> identities.add(SnapshotIdentity.of(s)));
    assertEquals(snapshots.size(), identities.size(), "two replicas' snapshots never share an identity");
    assertEquals(Set.of(0, 1), snapshots.stream().map(s -> s.getWorker().getPartitionId()).collect(Collectors.toSet()),
        "each replica thread is a worker");
    assertEquals("ParallelWrapper", only(records, RunStart.class).getTrainingMaster().toString());
    assertEquals(result.snapshotsSent(), only(records, RunEnd.class).getSnapshotsSent());
  }

  @Test
  void theBuilderNamesWhatIsMissing() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ActivationMonkey.forRun("job").build());
    assertTrue(e.getMessage().startsWith("kafka(bootstrapServers) is required"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ActivationMonkey.forRun("job").kafka("h:1").every(0).build());
    assertTrue(e.getMessage().startsWith("every(0)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ActivationMonkey.forRun("job").kafka("h:1").producerProperty("enable.idempotence", "false").build());
    assertTrue(e.getMessage().contains("producerProperty(\"enable.idempotence\""), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ActivationMonkey.forRun("my job").kafka("h:1").build());
    assertTrue(e.getMessage().startsWith("forRun(\"my job\")"), e.getMessage());
  }

  /**
   * Sequences of {@code [batch, 3, time]} with lengths between 2 and {@code maxTime} (masked beyond); the label at
   * each step is whether the running sum of the first feature is positive.
   */
  static List<DataSet> sequences(int count, int batch, int maxTime, long seed) {
    Random random = new Random(seed);
    List<DataSet> out = new ArrayList<>();
    for (int b = 0; b < count; b++) {
      INDArray x = Nd4j.zeros(DataType.FLOAT, batch, 3, maxTime);
      INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 2, maxTime);
      INDArray mask = Nd4j.zeros(DataType.FLOAT, batch, maxTime);
      for (int i = 0; i < batch; i++) {
        int length = 2 + random.nextInt(maxTime - 1);
        double sum = 0;
        for (int t = 0; t < length; t++) {
          for (int f = 0; f < 3; f++) {
            x.putScalar(new long[] {i, f, t}, random.nextGaussian());
          }
          sum += x.getDouble(i, 0, t);
          y.putScalar(new long[] {i, sum > 0 ? 1 : 0, t}, 1);
          mask.putScalar(i, t, 1);
        }
      }
      out.add(new DataSet(x, y, mask, mask));
    }
    return out;
  }

  private static List<double[]> rows(INDArray a) {
    List<double[]> rows = new ArrayList<>();
    for (int i = 0; i < a.size(0); i++) {
      rows.add(a.getRow(i).toDoubleVector());
    }
    return rows;
  }

  private static List<double[]> unmaskedSteps(INDArray a, INDArray mask) {
    List<double[]> steps = new ArrayList<>();
    for (int i = 0; i < a.size(0); i++) {
      for (int t = 0; t < a.size(2); t++) {
        if (mask.getDouble(i, t) != 0) {
          double[] units = new double[(int) a.size(1)];
          for (int u = 0; u < units.length; u++) {
            units[u] = a.getDouble(i, u, t);
          }
          steps.add(units);
        }
      }
    }
    return steps;
  }

  /** Moments and per-unit vectors of rows of unit values, computed with plain loops. */
  private record PlainStats(long count, double mean, double std, double min, double max, double zeroFraction,
      double[] firing, double[] unitMean) {
    static PlainStats perUnit(List<double[]> rows) {
      int units = rows.get(0).length;
      long n = 0;
      long zeros = 0;
      double sum = 0;
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      double[] firing = new double[units];
      double[] unitMean = new double[units];
      for (double[] row : rows) {
        for (int u = 0; u < units; u++) {
          double v = row[u];
          n++;
          sum += v;
          min = Math.min(min, v);
          max = Math.max(max, v);
          zeros += v == 0 ? 1 : 0;
          firing[u] += v > 0 ? 1 : 0;
          unitMean[u] += v;
        }
      }
      double mean = sum / n;
      double squares = 0;
      for (double[] row : rows) {
        for (double v : row) {
          squares += (v - mean) * (v - mean);
        }
      }
      for (int u = 0; u < units; u++) {
        firing[u] /= rows.size();
        unitMean[u] /= rows.size();
      }
      return new PlainStats(n, mean, Math.sqrt(squares / n), min, max, (double) zeros / n, firing, unitMean);
    }

    void assertMatches(LayerSnapshot s) {
      assertEquals(count, s.getCount(), "count");
      assertEquals(mean, s.getMean(), 1e-5, "mean");
      assertEquals(std, s.getStd(), 1e-5, "std (population)");
      assertEquals(min, s.getMin(), 1e-5, "min");
      assertEquals(max, s.getMax(), 1e-5, "max");
      assertEquals(zeroFraction, s.getZeroFraction(), 1e-9, "zero fraction");
      assertEquals(NeuronUnit.NEURON, s.getNeurons().getUnit());
      assertEquals(firing.length, s.getNeurons().getFiringRate().size());
      for (int u = 0; u < firing.length; u++) {
        assertEquals(firing[u], s.getNeurons().getFiringRate().get(u), 1e-5, "firing rate of unit " + u);
        assertEquals(unitMean[u], s.getNeurons().getMeanActivation().get(u), 1e-5, "mean of unit " + u);
      }
    }
  }
}
