package dev.activationmonkey.trainer.api;

import dev.activationmonkey.trainer.listener.StepClock;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

import dev.activationmonkey.snapshot.avro.DataSummary;
import dev.activationmonkey.snapshot.avro.Evaluation;
import dev.activationmonkey.snapshot.avro.NetworkSummary;
import dev.activationmonkey.snapshot.avro.RunEnd;
import dev.activationmonkey.snapshot.avro.RunStart;
import dev.activationmonkey.snapshot.avro.RunStatus;
import dev.activationmonkey.trainer.RunResult;
import dev.activationmonkey.trainer.listener.RunAccumulators;
import dev.activationmonkey.trainer.listener.SnapshotListener;
import dev.activationmonkey.trainer.network.NetworkSummaries;
import dev.activationmonkey.trainer.progress.LiveProgress;
import dev.activationmonkey.trainer.publish.DeliveryTotals;
import dev.activationmonkey.trainer.publish.RunRecords;
import java.time.Instant;
import java.util.List;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.dataset.DataSet;

/**
 * One instrumented training run, from its RunStart to its RunEnd. Call {@link #finish()} when training succeeded;
 * {@link #close()} (try-with-resources) ends a run that was not finished as FAILED, so a job that throws still leaves
 * a complete record. Ending a run flushes this JVM's producer, waits (bounded) for spilled snapshots, and sends RunEnd
 * with the run's counts: under Spark the executors' counts arrive with their tasks through accumulators, exactly as
 * in {@code monkey train}. Not thread-safe: one driver thread owns a run.
 */
public final class MonitoredRun implements AutoCloseable {
  private final ActivationMonkey settings;
  private final String runId;
  private final long start;
  private final Model network;
  private final SnapshotListener listener;
  private final RunAccumulators accumulators;
  private final RunRecords records;
  private final Runnable detach;
  private final int epochAtStart;
  /** The driver's context under Spark, else null. */
  private SparkContext sc;
  private boolean sharedGradients;
  private int epochsFed;
  private double accuracy = Double.NaN;
  private double loss = Double.NaN;
  private RunResult result;

  private MonitoredRun(ActivationMonkey settings, String runId, long start, Model network, SnapshotListener listener,
      RunAccumulators accumulators, Runnable detach) {
    this.settings = settings;
    this.runId = runId;
    this.start = start;
    this.network = network;
    this.listener = listener;
    this.accumulators = accumulators;
    this.records = new RunRecords(settings.kafka(), runId);
    this.detach = detach;
    this.epochAtStart = epochCount(network);
  }

  static MonitoredRun start(ActivationMonkey settings, String runId, long start, Model network,
      SnapshotListener listener, RunAccumulators accumulators, Runnable detach, String master, int workers,
      String trainingMaster) {
    return start(settings, runId, start, network, listener, accumulators, detach, master, workers, trainingMaster, null);
  }

  static MonitoredRun start(ActivationMonkey settings, String runId, long start, Model network,
      SnapshotListener listener, RunAccumulators accumulators, Runnable detach, String master, int workers,
      String trainingMaster, SparkContext sc) {
    MonitoredRun run = new MonitoredRun(settings, runId, start, network, listener, accumulators, detach);
    run.sc = sc;
    run.sharedGradients = trainingMaster.equals("SharedTrainingMaster");
    NetworkSummary summary = network instanceof ComputationGraph g ? NetworkSummaries.of(g)
        : NetworkSummaries.of((MultiLayerNetwork) network);
    run.records.send(new RunStart(runId, Instant.now(), settings.describe(network), master, workers, trainingMaster,
        summary, new DataSummary(settings.dataSource(), 0L, 0L, 0, 0, 0), settings.tags()));
    return run;
  }

  /** The run's id: the {@code run_id} of its records and Parquet partitions. */
  public String runId() {
    return runId;
  }

  /** The listener this run added (already attached; for code that wires listeners itself). */
  public SnapshotListener listener() {
    return listener;
  }

  /**
   * The training data of one epoch, to pass to {@code fit}: {@code sparkNet.fit(run.feed(train))}. Needed under
   * dl4j-spark's gradient sharing ({@code SharedTrainingMaster}), where one long-lived trainer thread per executor JVM
   * trains the batches of every task and its network's iteration counters repeat between tasks: the feeding tasks
   * number the steps (epoch, then a step count per JVM that never repeats in the run) and count the iterations and
   * examples as the trainer takes them, as {@code monkey train} does. Under any other training master the data is
   * returned as it is (the listener counts there), so a job may call it whatever master it uses. Build the
   * SharedTrainingMaster with {@code rddTrainingApproach(RDDTrainingApproach.Direct)}: with its default, Export, the
   * data is written out by a job of its own before training, and the steps would be counted then.
   */
  public JavaRDD<DataSet> feed(JavaRDD<DataSet> batches) {
    ensureOpen();
    if (!sharedGradients) {
      return batches;
    }
    String id = runId;
    int epoch = epochsFed++;
    RunAccumulators counted = accumulators;
    return batches.mapPartitions(partition -> StepClock.feeding(id, epoch, counted, partition));
  }

  /**
   * Sends an Evaluation record for the epochs trained so far (the network's epoch count), e.g. with what
   * {@code sparkNet.evaluate(testData)} or {@code net.evaluate(iterator)} returned.
   *
   * @param loss the test loss, or NaN if the job does not compute one
   */
  public void evaluation(org.nd4j.evaluation.classification.Evaluation evaluation, double loss) {
    ensureOpen();
    accuracy = evaluation.accuracy();
    this.loss = loss;
    records.send(new Evaluation(runId, Math.max(0, epochsTrained() - 1),
        iterationCount(network), Instant.now(), (long) evaluation.getNumRowCounter(), loss, accuracy,
        evaluation.precision(), evaluation.recall(), evaluation.f1()));
  }

  /**
   * Ends the run: SUCCEEDED, or DIVERGED when the network's last score is NaN or infinite. Returns the counts
   * RunEnd carries; {@link RunResult#snapshotsSent()} is the number of this run's snapshot records on the topic.
   */
  public RunResult finish() {
    ensureOpen();
    double score = network.score();
    boolean diverged = !Double.isFinite(score) && iterations() > 0;
    return end(diverged ? RunStatus.DIVERGED : RunStatus.SUCCEEDED,
        diverged ? "training loss not finite (" + score + ") at the end of the run" : null);
  }

  /** Ends the run as FAILED with the cause's message (the job's own failure). */
  public RunResult fail(Throwable cause) {
    ensureOpen();
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return end(RunStatus.FAILED, root.getClass().getSimpleName() + ": " + root.getMessage());
  }

  /** Ends the run as FAILED unless {@link #finish()} or {@link #fail} ended it. */
  @Override
  public void close() {
    if (result == null) {
      end(RunStatus.FAILED, "the run was closed without finish(): the job threw or returned early");
    }
  }

  /** The result, once the run has ended; null before. */
  public RunResult result() {
    return result;
  }

  private void ensureOpen() {
    if (result != null) {
      throw new IllegalStateException("run " + runId + " has ended (" + result.status() + ")");
    }
  }

  private long iterations() {
    return accumulators != null ? accumulators.iterations() : LiveProgress.of(runId).iterations();
  }

  private RunResult end(RunStatus status, String message) {
    detach.run();
    if (sc != null && !sc.isStopped()) {
      try {
        settleExecutors();
      } catch (Exception e) { // a failed Spark job is a SparkException, checked but thrown undeclared through Java
        // RunEnd is still sent, with what the completed tasks reported; a late snapshot may then be uncounted.
        java.util.logging.Logger.getLogger(MonitoredRun.class.getName()).warning("run " + runId
            + ": could not settle the executors' late counts: " + e);
      }
    }
    DeliveryTotals fromWorkers;
    if (accumulators != null) {
      fromWorkers = accumulators.delivery();
    } else {
      listener.flush();
      fromWorkers = listener.localTotals();
    }
    RunRecords.SnapshotOutcome outcome = records.finishSnapshots(fromWorkers, null);
    DeliveryTotals totals = outcome.totals();
    long runRecordsSent = records.finishRunRecords();
    long iterations = iterations();
    long examples = accumulators != null ? accumulators.examples() : LiveProgress.of(runId).examples();
    int epochs = epochsTrained();
    long duration = System.currentTimeMillis() - start;
    result = new RunResult(runId, status, epochs, iterations, examples, 0, -1, -1, totals.sent(), runRecordsSent,
        totals.spilled(), totals.resent(), totals.dropped(), outcome.pendingInSpill(), accuracy, loss, List.of(),
        duration);
    records.end(new RunEnd(runId, Instant.now(), status, message, epochs, iterations, duration, totals.sent(),
        totals.spilled(), totals.resent(), totals.dropped(), examples, 0L, null, null));
    LiveProgress.forget(runId);
    return result;
  }

  /**
   * One small task per executor (best effort: Spark places them) that flushes its JVM's producer and reports the
   * counts of snapshots sent after their own task completed (gradient sharing's trainer threads outlive their tasks).
   */
  private void settleExecutors() {
    int executors = Math.max(1, sc.getExecutorIds().size());
    SnapshotListener copy = listener;
    new JavaSparkContext(sc).parallelize(java.util.stream.IntStream.range(0, executors).boxed().toList(), executors)
        .foreachPartition(partition -> copy.settleInTask());
  }

  /**
   * Epochs trained in this run: the network's epoch count, or under gradient sharing the epochs fed (there the driver's
   * network counts an epoch per task).
   */
  private int epochsTrained() {
    return sharedGradients && epochsFed > 0 ? epochsFed : Math.max(0, epochCount(network) - epochAtStart);
  }

  private static int epochCount(Model network) {
    return network instanceof ComputationGraph g ? g.getEpochCount() : ((MultiLayerNetwork) network).getEpochCount();
  }

  private static long iterationCount(Model network) {
    return network instanceof ComputationGraph g ? g.getIterationCount()
        : ((MultiLayerNetwork) network).getIterationCount();
  }
}
