package dev.activationmonkey.trainer;

import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.snapshot.avro.DataSummary;
import dev.activationmonkey.snapshot.avro.Evaluation;
import dev.activationmonkey.snapshot.avro.NetworkSummary;
import dev.activationmonkey.snapshot.avro.RunEnd;
import dev.activationmonkey.snapshot.avro.RunStart;
import dev.activationmonkey.snapshot.avro.RunStatus;
import dev.activationmonkey.trainer.data.ShardedData;
import dev.activationmonkey.trainer.distributed.ParameterAveraging;
import dev.activationmonkey.trainer.listener.ListenerConfig;
import dev.activationmonkey.trainer.listener.RunAccumulators;
import dev.activationmonkey.trainer.listener.SnapshotListener;
import dev.activationmonkey.trainer.listener.StepClock;
import dev.activationmonkey.trainer.network.NetworkFactory;
import dev.activationmonkey.trainer.network.TrainableNetwork;
import dev.activationmonkey.trainer.progress.LiveProgress;
import dev.activationmonkey.trainer.progress.ProgressLine;
import dev.activationmonkey.trainer.publish.DeliveryTotals;
import dev.activationmonkey.trainer.publish.KafkaSettings;
import dev.activationmonkey.trainer.publish.RunRecords;
import dev.activationmonkey.trainer.spec.JobSpec;
import dev.activationmonkey.trainer.spec.NetworkSpec;
import dev.activationmonkey.trainer.spec.TrainingSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;

/**
 * Trains the network of a {@link JobSpec} on Spark with the {@link SnapshotListener} on every worker, and
 * publishes the run's RunStart, one Evaluation per epoch and RunEnd from the driver. Uses the active
 * SparkContext if there is one (spark-submit), otherwise creates one on the spec's master and stops it at
 * the end.
 */
public final class Trainer {

  /** Trains; progress goes to {@code progress} (in place when {@code System.console()} is present). */
  public RunResult run(JobSpec spec, PrintStream progress) {
    return run(spec, progress, System.console() != null);
  }

  public RunResult run(JobSpec spec, PrintStream progress, boolean terminal) {
    long start = System.currentTimeMillis();
    String runId = RunRecords.newRunId(spec.name(), start);
    // getActive() is private[spark] in Scala but public in bytecode; it answers without creating a context.
    // A secured broker that refuses our credentials or certificate fails the run now, before anything is trained or sent.
    dev.activationmonkey.trainer.publish.KafkaPreflight.check(spec.logging().kafka());
    scala.Option<SparkContext> active = org.apache.spark.SparkContext$.MODULE$.getActive();
    boolean created = active.isEmpty();
    SparkContext sc = created ? new SparkContext(sparkConf(spec, runId, progress)) : active.get();
    ShardedData data = null;
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
      long loadStart = System.nanoTime();
      data = ShardedData.load(jsc, spec.data(), spec.training().workers());
      progress.printf("run %s: %,d train / %,d test examples read by the executors into %d workers' memory in %.1f s"
          + " (master %s)%n", runId, data.trainExamples(), data.testExamples(), spec.training().workers(),
          (System.nanoTime() - loadStart) / 1e9, sc.master());
      return train(spec, runId, start, sc, data, progress, terminal);
    } finally {
      try {
        if (data != null) {
          data.release();
        }
      } finally {
        if (created) {
          sc.stop();
        }
      }
    }
  }

  private RunResult train(JobSpec spec, String runId, long start, SparkContext sc, ShardedData data,
      PrintStream progress, boolean terminal) {
    TrainingSpec training = spec.training();
    int batchSize = spec.data().batchSize();
    TrainableNetwork network;
    if (spec.network().zoo() != null) {
      NetworkSpec n = spec.network();
      network = TrainableNetwork.of(NetworkFactory.zoo(n, training.seed(), data.features(), data.classes()),
          new int[] {n.imageChannels(), n.imageHeight(), n.imageWidth()});
    } else if (spec.network().isGraph()) {
      ComputationGraph graph = new ComputationGraph(NetworkFactory.graph(spec.network()));
      graph.init();
      network = TrainableNetwork.of(graph);
    } else {
      MultiLayerNetwork mln = new MultiLayerNetwork(NetworkFactory.build(spec.network(), training.seed(),
          data.features(), data.classes()));
      mln.init();
      network = TrainableNetwork.of(mln);
    }
    Model net = network.model();
    long outputs = network.outputUnits();
    if (outputs > 0 && outputs != data.classes()) {
      throw new InvalidInputException("network: the output layer has " + outputs + " units but the data has "
          + data.classes() + " classes");
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
    KafkaSettings kafka = spec.logging().kafka();
    // Run-level records get their own producer and spill directory so that their outcomes never mix with the
    // snapshot counts (RunResult.snapshotsSent must equal the snapshot rows downstream).
    RunRecords runRecords = new RunRecords(kafka, runId);
    LiveProgress live = LiveProgress.of(runId);
    RunAccumulators accumulators = RunAccumulators.register(sc);
    ListenerConfig listenerConfig = new ListenerConfig(runId, spec.logging().kinds(), spec.logging().every(),
        spec.logging().stats(), spec.logging().histogramKinds(), kafka, training.injectFailurePartition(),
        training.injectFailureAfter(), spec.logging().copyBufferBytes());
    SnapshotListener listener = new SnapshotListener(listenerConfig, accumulators);
    boolean shared = training.trainingMaster().equals("shared-gradients");
    ParameterAveraging averaging = new ParameterAveraging(jsc, network, runId, batchSize,
        training.averagingFrequency(), spec.data().shuffleSeed(), listener);
    int[] epochHolder = {0};
    double[] lossHolder = {Double.NaN};
    long[] work = {0, 0}; // iterations, examples: counted by the engine
    List<Path> checkpoints = new ArrayList<>();
    double accuracy = Double.NaN;
    String failure = null;
    RunStatus status = RunStatus.SUCCEEDED;
    long firstNonFinite = -1;
    int nonFiniteWorker = -1;
    int epochsDone = 0;
    RunResult result = null;
    ProgressLine line = new ProgressLine(progress, terminal, () -> new ProgressLine.Reading(epochHolder[0],
        training.epochs(), Math.max(work[0], Math.max(live.iterations(), accumulators.iterations())),
        Math.max(work[1], Math.max(live.examples(), accumulators.examples())),
        Double.isNaN(live.lastScore()) ? lossHolder[0] : live.lastScore(),
        Math.max(live.snapshotsAcknowledged(), accumulators.delivery().sent())));
    try {
      runRecords.send(runStart(spec, runId, sc.master(), data, network));
      int[] perWorker = averaging.batchesPerWorker(data.train());
      int mostBatches = Arrays.stream(perWorker).max().orElse(0);
      progress.printf("run %s: training %s on %s, %d workers, %s; %,d examples per epoch, mini-batches of up to %d"
          + " per worker: %s%n", runId, network.describe(), data.source(), training.workers(), shared ? "shared gradients"
          : "parameter averaging " + (training.averagingFrequency() == 0 ? "once per epoch"
          : "every " + training.averagingFrequency() + " mini-batches"), data.trainExamples(), batchSize,
          Arrays.toString(perWorker));
      SparkDl4jMultiLayer sharedNet = shared ? sharedGradients(sc, (MultiLayerNetwork) net, spec, listener) : null;
      for (int epoch = 0; epoch < training.epochs(); epoch++) {
        epochHolder[0] = epoch + 1;
        if (shared) {
          int e = epoch;
          long seed = spec.data().shuffleSeed();
          String id = runId;
          RunAccumulators counted = accumulators;
          sharedNet.fit(data.train().flatMap(
              s -> StepClock.feeding(id, e, counted, s.batches(e, seed, batchSize, 0, Integer.MAX_VALUE).iterator())));
          work[0] = accumulators.iterations();
          work[1] = accumulators.examples();
          lossHolder[0] = net.score();
          if (firstNonFinite < 0 && (!Double.isFinite(net.score()) || hasNonFinite(net.params()))) {
            // dl4j-spark's gradient sharing reports no per-step losses: the end of the epoch it was noticed in.
            firstNonFinite = (long) (epoch + 1) * mostBatches;
          }
        } else {
          ParameterAveraging.EpochOutcome outcome = averaging.fitEpoch(data.train(), epoch, training.stopOnNonFinite(),
              null);
          work[0] += outcome.iterations();
          work[1] += outcome.examples();
          lossHolder[0] = outcome.meanLoss();
          if (outcome.firstNonFinite() >= 0 && firstNonFinite < 0) {
            firstNonFinite = outcome.firstNonFinite();
            nonFiniteWorker = outcome.nonFiniteWorker();
          }
        }
        network.setCounts((epoch + 1) * mostBatches, epoch + 1);
        epochsDone = epoch + 1;
        String evaluation = "";
        if (data.test() != null && training.evaluate()) {
          ParameterAveraging.TestOutcome test = averaging.evaluate(data.test());
          double loss = test.meanLoss();
          lossHolder[0] = loss;
          accuracy = test.accuracy();
          boolean finite = test.nonFinite() == 0 && test.evaluation() != null;
          Evaluation record = new Evaluation(runId, epoch, (long) network.iterationCount(), Instant.now(),
              data.testExamples(), loss, accuracy, finite ? test.evaluation().precision() : Double.NaN,
              finite ? test.evaluation().recall() : Double.NaN, finite ? test.evaluation().f1() : Double.NaN);
          runRecords.send(record);
          evaluation = String.format(Locale.ROOT, "  | test accuracy %.4f, loss %.4f%s", accuracy, loss,
              test.nonFinite() > 0 ? " (" + test.nonFinite() + " predictions not finite)" : "");
        }
        if (training.checkpointDirectory() != null) {
          checkpoints.add(checkpoint(net, Path.of(training.checkpointDirectory()), runId, epoch));
        }
        line.printLine(evaluation);
        if (firstNonFinite >= 0) {
          status = RunStatus.DIVERGED;
          failure = "training loss not finite at iteration " + firstNonFinite
              + (nonFiniteWorker >= 0 ? " on worker " + nonFiniteWorker : "") + " (epoch " + (epoch + 1) + ")";
          if (training.stopOnNonFinite()) {
            break;
          }
        }
      }
    } catch (Throwable e) {
      // Spark's job failures are checked SparkExceptions thrown undeclared through the Java API: catch everything.
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      failure = root.getClass().getSimpleName() + ": " + root.getMessage();
      status = RunStatus.FAILED;
      throw e;
    } finally {
      line.close();
      averaging.close();
      // Whatever tasks could not re-send (broker down until the end) waits in the spill: wait a bounded time.
      RunRecords.SnapshotOutcome outcome = runRecords.finishSnapshots(accumulators.delivery(), progress);
      DeliveryTotals totals = outcome.totals();
      long pending = outcome.pendingInSpill();
      long runRecordsSent = runRecords.finishRunRecords();
      long iterations = accumulators.iterations();
      result = new RunResult(runId, status, epochsDone, iterations, work[1], data.trainExamples(), firstNonFinite,
          nonFiniteWorker, totals.sent(), runRecordsSent, totals.spilled(), totals.resent(),
          totals.dropped(), pending, accuracy, lossHolder[0], checkpoints, System.currentTimeMillis() - start);
      RunEnd end = new RunEnd(runId, Instant.now(), status, failure, result.epochs(), result.iterations(),
          result.durationMillis(), totals.sent(), totals.spilled(), totals.resent(), totals.dropped(), result.examples(),
          result.examplesPerEpoch(), firstNonFinite >= 0 ? firstNonFinite : null,
          nonFiniteWorker >= 0 ? nonFiniteWorker : null);
      runRecords.end(end);
      LiveProgress.forget(runId);
      StepClock.forget(runId);
    }
    return result;
  }

  private static boolean hasNonFinite(INDArray array) {
    return array.isNaN().any() || array.isInfinite().any();
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

  /** dl4j-spark's gradient sharing, fed each epoch from the cached shards. */
  private static SparkDl4jMultiLayer sharedGradients(SparkContext sc, MultiLayerNetwork net, JobSpec spec,
      SnapshotListener listener) {
    TrainingSpec t = spec.training();
    int batch = spec.data().batchSize();
    VoidConfiguration voidConf = VoidConfiguration.builder()
        .controllerAddress(t.controllerAddress())
        .networkMask(t.networkMask())
        .unicastPort(t.port())
        .build();
    SharedTrainingMaster master = new SharedTrainingMaster.Builder(voidConf, batch)
        .batchSizePerWorker(batch)
        .updatesThreshold(t.threshold())
        .workersPerNode(1)
        .rngSeed(t.seed())
        .rddTrainingApproach(RDDTrainingApproach.Direct)
        .build();
    SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, net, master);
    sparkNet.setListeners(listener);
    return sparkNet;
  }

  private static Path checkpoint(Model net, Path dir, String runId, int epoch) {
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

  static RunStart runStart(JobSpec spec, String runId, String master, ShardedData data, TrainableNetwork net) {
    NetworkSummary network = net.summary();
    DataSummary dataSummary = new DataSummary(data.source(), data.trainExamples(), data.testExamples(),
        data.features(), data.classes(), spec.data().batchSize());
    return new RunStart(runId, Instant.now(), spec.redactedText(), master, spec.training().workers(),
        spec.training().trainingMaster(), network, dataSummary, Map.copyOf(spec.tags()));
  }
}
