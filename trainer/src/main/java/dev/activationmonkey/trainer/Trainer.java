package dev.activationmonkey.trainer;

import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.snapshot.RecordKeys;
import dev.activationmonkey.snapshot.SnapshotCodec;
import dev.activationmonkey.snapshot.avro.DataSummary;
import dev.activationmonkey.snapshot.avro.Evaluation;
import dev.activationmonkey.snapshot.avro.LayerInfo;
import dev.activationmonkey.snapshot.avro.NetworkSummary;
import dev.activationmonkey.snapshot.avro.RunEnd;
import dev.activationmonkey.snapshot.avro.RunStart;
import dev.activationmonkey.snapshot.avro.RunStatus;
import dev.activationmonkey.trainer.data.Datasets;
import dev.activationmonkey.trainer.data.LoadedData;
import dev.activationmonkey.trainer.listener.ListenerConfig;
import dev.activationmonkey.trainer.listener.RunAccumulators;
import dev.activationmonkey.trainer.listener.SnapshotListener;
import dev.activationmonkey.trainer.network.NetworkFactory;
import dev.activationmonkey.trainer.progress.LiveProgress;
import dev.activationmonkey.trainer.progress.ProgressLine;
import dev.activationmonkey.trainer.publish.DeliveryCounts;
import dev.activationmonkey.trainer.publish.DeliveryTotals;
import dev.activationmonkey.trainer.publish.KafkaSettings;
import dev.activationmonkey.trainer.publish.SnapshotProducer;
import dev.activationmonkey.trainer.spec.JobSpec;
import dev.activationmonkey.trainer.spec.TrainingSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;

/**
 * Trains the network of a {@link JobSpec} on Spark with the {@link SnapshotListener} on every worker, and
 * publishes the run's RunStart, one Evaluation per epoch and RunEnd from the driver. Uses the active
 * SparkContext if there is one (spark-submit), otherwise creates one on the spec's master and stops it at
 * the end.
 */
public final class Trainer {
  private static final DateTimeFormatter RUN_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  /** Trains; progress goes to {@code progress} (in place when {@code System.console()} is present). */
  public RunResult run(JobSpec spec, PrintStream progress) {
    return run(spec, progress, System.console() != null);
  }

  public RunResult run(JobSpec spec, PrintStream progress, boolean terminal) {
    long start = System.currentTimeMillis();
    String runId = spec.name() + "-" + RUN_TIME.format(Instant.ofEpochMilli(start)) + "-"
        + UUID.randomUUID().toString().substring(0, 6);
    TrainingSpec training = spec.training();
    LoadedData data = Datasets.load(spec.data());
    MultiLayerConfiguration conf = NetworkFactory.build(spec.network(), training.seed(), data.features(), data.classes());
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    long outputs = net.getOutputLayer().getParam("b") == null ? -1 : net.getOutputLayer().getParam("b").length();
    if (outputs > 0 && outputs != data.classes()) {
      throw new InvalidInputException("network: the output layer has " + outputs + " units but the data has "
          + data.classes() + " classes");
    }

    // getActive() is private[spark] in Scala but public in bytecode; it answers without creating a context.
    scala.Option<SparkContext> active = org.apache.spark.SparkContext$.MODULE$.getActive();
    boolean created = active.isEmpty();
    SparkContext sc = created ? new SparkContext(sparkConf(spec, runId, progress)) : active.get();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
    KafkaSettings kafka = spec.logging().kafka();
    // Run-level records get their own producer and spill directory so that their outcomes never mix with the
    // snapshot counts (RunResult.snapshotsSent must equal the snapshot rows downstream).
    SnapshotProducer runProducer = SnapshotProducer.forSettings(
        kafka.withSpillDirectory(Path.of(kafka.spillDirectory(), "run-records").toString()));
    DeliveryCounts runRecords = new DeliveryCounts();
    byte[] runKey = RecordKeys.run(runId);
    LiveProgress live = LiveProgress.of(runId);
    RunAccumulators accumulators = RunAccumulators.register(sc);
    ListenerConfig listenerConfig = new ListenerConfig(runId, spec.logging().kinds(), spec.logging().every(),
        spec.logging().stats(), spec.logging().histogramKinds(), kafka, training.injectFailurePartition(),
        training.injectFailureAfter(), spec.logging().copyBufferBytes());
    SnapshotListener listener = new SnapshotListener(listenerConfig, accumulators);
    int[] epochHolder = {0};
    double[] lossHolder = {Double.NaN};
    List<Path> checkpoints = new ArrayList<>();
    double accuracy = Double.NaN;
    DeliveryCounts driverSnapshots = new DeliveryCounts();
    String failure = null;
    RunResult result = null;
    ProgressLine line = new ProgressLine(progress, terminal, () -> new ProgressLine.Reading(epochHolder[0],
        training.epochs(), Math.max(live.iterations(), accumulators.iterations()),
        Math.max(live.examples(), accumulators.examples()),
        Double.isNaN(live.lastScore()) ? lossHolder[0] : live.lastScore(),
        Math.max(live.snapshotsAcknowledged(), accumulators.delivery().sent())));
    try {
      runProducer.send(runKey, SnapshotCodec.INSTANCE.encode(runStart(spec, runId, sc.master(), data, net)), runRecords);
      SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, net, trainingMaster(spec));
      sparkNet.setListeners(listener);
      JavaRDD<DataSet> trainRdd = jsc.parallelize(data.train().batchBy(spec.data().batchSize()), training.workers());
      JavaRDD<DataSet> testRdd = data.test() == null ? null
          : jsc.parallelize(data.test().batchBy(spec.data().batchSize()), training.workers());
      progress.printf("run %s: training %s on %s (%,d train / %,d test examples, %d workers, master %s)%n", runId,
          describe(net), data.source(), data.trainExamples(), data.testExamples(), training.workers(), sc.master());
      for (int epoch = 0; epoch < training.epochs(); epoch++) {
        epochHolder[0] = epoch + 1;
        sparkNet.fit(trainRdd);
        String evaluation = "";
        if (testRdd != null && training.evaluate()) {
          org.nd4j.evaluation.classification.Evaluation ev = sparkNet.evaluate(testRdd);
          double loss = testLoss(sc, sparkNet, testRdd);
          lossHolder[0] = loss;
          accuracy = ev.accuracy();
          Evaluation record = new Evaluation(runId, epoch, (long) sparkNet.getNetwork().getIterationCount(),
              Instant.now(), (long) data.testExamples(), loss, ev.accuracy(), ev.precision(), ev.recall(), ev.f1());
          runProducer.send(runKey, SnapshotCodec.INSTANCE.encode(record), runRecords);
          evaluation = String.format(java.util.Locale.ROOT, "  | test accuracy %.4f, loss %.4f", ev.accuracy(), loss);
        }
        if (training.checkpointDirectory() != null) {
          checkpoints.add(checkpoint(sparkNet.getNetwork(), Path.of(training.checkpointDirectory()), runId, epoch));
        }
        line.printLine(evaluation);
      }
    } catch (RuntimeException e) {
      failure = e.getClass().getSimpleName() + ": " + e.getMessage();
      throw e;
    } finally {
      line.close();
      SnapshotProducer snapshots = SnapshotProducer.forSettings(kafka);
      snapshots.flush();
      // Whatever tasks could not re-send (broker down until the end) waits in the spill: wait a bounded time.
      boolean drained = drainSpill(snapshots, driverSnapshots, kafka.finalDrainMillis(), progress);
      DeliveryTotals totals = accumulators.delivery().plus(driverSnapshots.totals());
      long pending = drained ? 0 : totals.pendingInSpill();
      runProducer.flush();
      drainSpill(runProducer, runRecords, kafka.finalDrainMillis(), null);
      result = new RunResult(runId, epochHolder[0], accumulators.iterations(), accumulators.examples(),
          totals.sent(), runRecords.totals().sent(), totals.spilled(), totals.resent(), totals.dropped(), pending,
          accuracy, lossHolder[0], checkpoints, System.currentTimeMillis() - start);
      RunEnd end = new RunEnd(runId, Instant.now(), failure == null ? RunStatus.SUCCEEDED : RunStatus.FAILED, failure,
          result.epochs(), result.iterations(), result.durationMillis(), totals.sent(), totals.spilled(),
          totals.resent(), totals.dropped());
      runProducer.send(runKey, SnapshotCodec.INSTANCE.encode(end), new DeliveryCounts());
      runProducer.flush();
      LiveProgress.forget(runId);
      if (created) {
        sc.stop();
      }
    }
    return result;
  }

  /**
   * The mean loss on the test set, computed on a copy of the network. {@code calculateScore} broadcasts the
   * network's own parameter array, and Spark 3.5 closes AutoCloseable broadcast values (an INDArray is one)
   * when it cleans the broadcast up: the network being trained would lose its parameters at the next GC
   * (seen as "You can't use DataBuffer once it was released", or a native crash, in the next epoch's fit).
   */
  private static double testLoss(SparkContext sc, SparkDl4jMultiLayer sparkNet, JavaRDD<DataSet> test) {
    MultiLayerNetwork copy = sparkNet.getNetwork().clone();
    return new SparkDl4jMultiLayer(sc, copy, sparkNet.getTrainingMaster()).calculateScore(test, true);
  }

  private static boolean drainSpill(SnapshotProducer producer, DeliveryCounts counts, long timeoutMillis,
      PrintStream progress) {
    if (!producer.hasSpilled()) {
      return true;
    }
    long deadline = System.currentTimeMillis() + timeoutMillis;
    if (progress != null) {
      progress.printf("re-sending spilled snapshots from %s (waiting up to %d s for the broker)%n",
          producer.spillDirectory(), timeoutMillis / 1000);
    }
    while (true) {
      if (producer.resendSpilled(counts)) {
        return true;
      }
      if (System.currentTimeMillis() >= deadline) {
        return false;
      }
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  /**
   * The configuration of a context the trainer creates itself. A master set in the Spark configuration (spark-submit
   * passes {@code --master} as the system property {@code spark.master}) wins over {@code training.master} and
   * {@code --master}, which apply only when nothing else names one. The driver is pinned to the loopback address only
   * in local mode: executors on other hosts must reach it at the address Spark picks (or {@code spark.driver.host}).
   */
  static SparkConf sparkConf(JobSpec spec, String runId, PrintStream progress) {
    SparkConf conf = new SparkConf().setAppName("activation-monkey " + runId);
    String fromSpark = conf.contains("spark.master") ? conf.get("spark.master") : null;
    if (fromSpark == null) {
      conf.setMaster(spec.training().effectiveMaster());
    } else if (spec.training().master() != null && !spec.training().master().equals(fromSpark) && progress != null) {
      progress.printf("note: Spark's configuration sets master %s; training.master / --master (%s) is ignored%n",
          fromSpark, spec.training().master());
    }
    if (conf.get("spark.master").startsWith("local")) {
      conf.setIfMissing("spark.driver.host", "127.0.0.1").setIfMissing("spark.driver.bindAddress", "127.0.0.1");
    }
    return conf.setIfMissing("spark.ui.enabled", "false")
        // One ND4J thread per op on executors unless the user chose (docs/trainer.md, "Threads"); in local mode the
        // driver JVM's own environment applies, which the monkey launcher sets the same way.
        .setIfMissing("spark.executorEnv.OMP_NUM_THREADS", "1");
  }

  private static TrainingMaster<?, ?> trainingMaster(JobSpec spec) {
    TrainingSpec t = spec.training();
    int batch = spec.data().batchSize();
    if (t.trainingMaster().equals("shared-gradients")) {
      VoidConfiguration voidConf = VoidConfiguration.builder()
          .controllerAddress(t.controllerAddress())
          .networkMask(t.networkMask())
          .unicastPort(t.port())
          .build();
      return new SharedTrainingMaster.Builder(voidConf, batch)
          .batchSizePerWorker(batch)
          .updatesThreshold(t.threshold())
          .workersPerNode(1)
          .rngSeed(t.seed())
          .rddTrainingApproach(RDDTrainingApproach.Direct)
          .build();
    }
    return new ParameterAveragingTrainingMaster.Builder(batch)
        .batchSizePerWorker(batch)
        .averagingFrequency(t.averagingFrequency())
        .workerPrefetchNumBatches(t.prefetch())
        .rddTrainingApproach(RDDTrainingApproach.Direct)
        .rngSeed(t.seed())
        .build();
  }

  private static Path checkpoint(MultiLayerNetwork net, Path dir, String runId, int epoch) {
    try {
      Files.createDirectories(dir);
      Path file = dir.resolve(runId + "-epoch-" + (epoch + 1) + ".zip");
      ModelSerializer.writeModel(net, file.toFile(), true);
      return file;
    } catch (IOException e) {
      throw new InvalidInputException("training.checkpoint-dir: cannot write a checkpoint to " + dir + ": "
          + e.getMessage(), e);
    }
  }

  private static String describe(MultiLayerNetwork net) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < net.getnLayers(); i++) {
      Layer l = net.getLayerWiseConfigurations().getConf(i).getLayer();
      b.append(i == 0 ? "" : "-").append(l instanceof FeedForwardLayer f ? String.valueOf(f.getNOut())
          : l.getClass().getSimpleName());
    }
    return "network " + b + " (" + String.format("%,d", net.numParams()) + " parameters)";
  }

  static RunStart runStart(JobSpec spec, String runId, String master, LoadedData data, MultiLayerNetwork net) {
    List<LayerInfo> layers = new ArrayList<>();
    String updater = "none";
    for (int i = 0; i < net.getnLayers(); i++) {
      Layer l = net.getLayerWiseConfigurations().getConf(i).getLayer();
      String activation = null;
      String weightInit = null;
      Double dropout = null;
      if (l instanceof BaseLayer base) {
        activation = dev.activationmonkey.trainer.listener.LayerInfo.activationName(base.getActivationFn());
        weightInit = base.getWeightInitFn() == null ? null
            : base.getWeightInitFn().getClass().getSimpleName().replaceFirst("^WeightInit", "").toLowerCase(java.util.Locale.ROOT);
        if (base.getIUpdater() != null) {
          updater = base.getIUpdater().toString();
        }
      }
      if (l.getIDropout() instanceof Dropout d) {
        dropout = 1 - d.getP();
      }
      long in = l instanceof FeedForwardLayer f ? f.getNIn() : -1;
      long out = l instanceof FeedForwardLayer f ? f.getNOut() : -1;
      layers.add(new LayerInfo(i, l.getLayerName() == null ? "layer" + i : l.getLayerName(), l.getClass().getSimpleName(),
          activation, weightInit, in, out, net.getLayer(i).numParams(), dropout, null, null));
    }
    NetworkSummary network = new NetworkSummary(net.numParams(), updater, layers);
    DataSummary dataSummary = new DataSummary(data.source(), data.trainExamples(), data.testExamples(),
        data.features(), data.classes(), spec.data().batchSize());
    return new RunStart(runId, Instant.now(), spec.text(), master, spec.training().workers(),
        spec.training().trainingMaster(), network, dataSummary, Map.copyOf(spec.tags()));
  }
}
