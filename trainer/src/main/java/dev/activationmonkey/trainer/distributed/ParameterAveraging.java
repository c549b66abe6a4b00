package dev.activationmonkey.trainer.distributed;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.trainer.data.Shard;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import dev.activationmonkey.trainer.network.TrainableNetwork;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Synchronous parameter averaging over shards cached on the executors. An epoch is a few rounds; in a round every
 * worker (one Spark task per shard) takes the current parameters and updater state from a broadcast, trains the next
 * {@code frequency} mini-batches of its shard (or all of them when the frequency is 0: one round per epoch), and
 * sends back its parameters and updater state, which the driver averages weighted by the examples each worker
 * trained. Every example of every shard is trained exactly once per epoch, whatever the sizes.
 *
 * <p>Compared with dl4j-spark's {@code ParameterAveragingTrainingMaster}, a round costs one small Spark job: the
 * examples stay in the executors' memory (they are not split, counted, repartitioned and shipped inside each task
 * again), the network is kept in the executor between rounds ({@link NetworkPool}), and the broadcast is primitive
 * arrays, so Spark never closes an INDArray the driver still uses.
 *
 * <p>A worker whose loss turns NaN or infinite stops its round there and reports the iteration; the caller decides
 * whether training goes on ({@link EpochOutcome#firstNonFinite()}).
 */
public final class ParameterAveraging {
  private final JavaSparkContext jsc;
  private final TrainableNetwork master;
  private final boolean graph;
  private final int[] imageInput;
  private final String runId;
  private final String configurationJson;
  private final int batchSize;
  private final int frequency;
  private final long seed;
  private final TrainingListener listener;
  private int[] batchesPerWorker;

  /**
   * @param master the driver's network, a MultiLayerNetwork or a single-input, single-output ComputationGraph: its
   *     parameters and updater state start the run and hold the averages
   * @param frequency mini-batches per worker between averaging steps; 0 = once per epoch
   * @param seed seed of the per-epoch shuffle of each worker's examples
   * @param listener attached to every worker's network for training (not evaluation); may be null
   */
  public ParameterAveraging(JavaSparkContext jsc, Model master, String runId, int batchSize, int frequency,
      long seed, TrainingListener listener) {
    this(jsc, TrainableNetwork.of(requireNonNull(master, "master is null")), runId, batchSize, frequency, seed, listener);
  }

  /** As above, for a network that may take its flat rows reshaped to images ({@link TrainableNetwork#imageInput()}). */
  public ParameterAveraging(JavaSparkContext jsc, TrainableNetwork master, String runId, int batchSize, int frequency,
      long seed, TrainingListener listener) {
    this.jsc = requireNonNull(jsc, "jsc is null");
    this.master = requireNonNull(master, "master is null");
    this.graph = master.isGraph();
    this.imageInput = master.imageInput();
    this.runId = requireNonNull(runId, "runId is null");
    this.configurationJson = this.master.configurationJson();
    this.batchSize = batchSize;
    this.frequency = frequency;
    this.seed = seed;
    this.listener = listener;
  }

  /**
   * The outcome of one epoch.
   *
   * @param examples examples trained, over all workers
   * @param iterations mini-batch steps, over all workers
   * @param meanLoss the mean training loss of the epoch's mini-batches
   * @param rounds averaging rounds (Spark jobs)
   * @param firstNonFinite the first iteration whose loss was NaN or infinite (-1 if none), on {@code nonFiniteWorker}
   * @param seconds the epoch's wall-clock time on the driver
   * @param taskSeconds the slowest task's time, summed over rounds (what the workers took)
   * @param trainSeconds the slowest worker's time in {@code fit}, summed over rounds (the training itself)
   */
  public record EpochOutcome(long examples, long iterations, double meanLoss, int rounds, long firstNonFinite,
      int nonFiniteWorker, double seconds, double taskSeconds, double trainSeconds) {}

  /** Per-worker state a round starts from, broadcast as primitive arrays. */
  private record State(float[] params, float[] updaterState) implements Serializable {}

  /** Everything a round's task needs besides its shard and the broadcast. */
  private record RoundTask(String runId, boolean graph, String configurationJson, int[] imageInput, int epoch, int firstBatch, int lastBatch,
      int batchSize, long seed, TrainingListener listener, boolean stopOnNonFinite) implements Serializable {}

  /** Mini-batches per epoch of each worker (the shards' sizes do not change during a run). */
  public int[] batchesPerWorker(JavaRDD<Shard> train) {
    if (batchesPerWorker == null) {
      int size = batchSize;
      batchesPerWorker = train.map(s -> s.batchesPerEpoch(size)).collect().stream().mapToInt(Integer::intValue).toArray();
    }
    return batchesPerWorker;
  }

  /**
   * Trains one epoch; {@code stopOnNonFinite} ends it after the round in which a loss turned NaN or infinite.
   * {@code afterRound} runs on the driver after each round (progress).
   */
  public EpochOutcome fitEpoch(JavaRDD<Shard> train, int epoch, boolean stopOnNonFinite, Runnable afterRound) {
    int most = 0;
    for (int b : batchesPerWorker(train)) {
      most = Math.max(most, b);
    }
    int perRound = frequency == 0 ? Math.max(1, most) : frequency;
    long examples = 0;
    long iterations = 0;
    double lossSum = 0;
    int rounds = 0;
    long firstNonFinite = -1;
    int nonFiniteWorker = -1;
    long startNanos = System.nanoTime();
    long taskNanos = 0;
    long trainNanos = 0;
    for (int from = 0; from < most; from += perRound) {
      long t0 = System.nanoTime();
      Broadcast<State> state = jsc.broadcast(new State(master.params().toFloatVector(), updaterState(master)));
      long t1 = System.nanoTime();
      RoundTask task = new RoundTask(runId, graph, configurationJson, imageInput, epoch, from, from + perRound, batchSize, seed, listener,
          stopOnNonFinite);
      RoundResult result;
      try {
        // reduce, not treeReduce: a tree adds a shuffle stage from 6 partitions on, and a re-run shuffle-map stage
        // would train (and count, and log) a round twice.
        result = train.mapPartitions(shards -> trainRound(shards, state.value(), task)).reduce(RoundResult::plus);
      } finally {
        state.destroy();
      }
      long t2 = System.nanoTime();
      if (Boolean.getBoolean("monkey.debug.rounds")) {
        System.err.printf("round %d: broadcast %.1f ms, job %.1f ms (slowest task %.1f ms, fit %.1f ms)%n", rounds,
            (t1 - t0) / 1e6, (t2 - t1) / 1e6, result.taskNanos() / 1e6, result.trainNanos() / 1e6);
      }
      rounds++;
      taskNanos += result.taskNanos();
      trainNanos += result.trainNanos();
      boolean paramsFinite = true;
      if (result.examples() > 0) {
        float[] params = result.params();
        float[] updater = result.updaterState();
        float scale = (float) (1.0 / result.examples());
        for (int i = 0; i < params.length; i++) {
          params[i] *= scale;
          paramsFinite &= Float.isFinite(params[i]);
        }
        assign(master.params(), params);
        if (updater != null) {
          for (int i = 0; i < updater.length; i++) {
            updater[i] *= scale;
          }
          assign(master.updaterState(), updater);
        }
      }
      examples += result.examples();
      iterations += result.batches();
      lossSum += result.lossSum();
      if (afterRound != null) {
        afterRound.run();
      }
      long roundNonFinite = result.firstNonFinite();
      int roundWorker = result.nonFiniteWorker();
      if (roundNonFinite < 0 && !paramsFinite) {
        // Every loss was finite but a last step made parameters NaN or infinite: the round's last iteration.
        roundNonFinite = result.lastIteration();
      }
      if (roundNonFinite >= 0) {
        if (firstNonFinite < 0) {
          firstNonFinite = roundNonFinite;
          nonFiniteWorker = roundWorker;
        }
        if (stopOnNonFinite) {
          break;
        }
      }
    }
    master.setCounts(master.iterationCount(), epoch + 1);
    return new EpochOutcome(examples, iterations,
        iterations == 0 || firstNonFinite >= 0 ? Double.NaN : lossSum / iterations, rounds,
        firstNonFinite, nonFiniteWorker, (System.nanoTime() - startNanos) / 1e9, taskNanos / 1e9, trainNanos / 1e9);
  }

  private static float[] updaterState(TrainableNetwork net) {
    INDArray view = net.updaterState();
    return view == null ? null : view.toFloatVector();
  }

  private static void assign(INDArray target, float[] values) {
    target.assign(Nd4j.create(values, target.shape(), target.ordering()));
  }

  /** A worker's round: runs in the executor, on the shard of its partition. */
  private static Iterator<RoundResult> trainRound(Iterator<Shard> shards, State state, RoundTask task) {
    List<RoundResult> out = new ArrayList<>(1);
    while (shards.hasNext()) {
      long taskStart = System.nanoTime();
      Shard shard = shards.next();
      List<DataSet> batches = shard.batches(task.epoch(), task.seed(), task.batchSize(), task.firstBatch(), task.lastBatch());
      if (batches.isEmpty()) {
        out.add(RoundResult.empty());
        continue;
      }
      TrainableNetwork net = NetworkPool.borrow(task.runId(), task.graph(), task.configurationJson(), task.imageInput());
      try {
        assign(net.params(), state.params());
        if (state.updaterState() != null) {
          assign(net.updaterState(), state.updaterState());
        }
        int perEpoch = shard.batchesPerEpoch(task.batchSize());
        // Worker-local step numbers, the same in every attempt: epoch * the worker's batches + batches before this round.
        net.setCounts(task.epoch() * perEpoch + task.firstBatch(), task.epoch());
        net.setListeners(task.listener() == null ? List.of() : List.of(task.listener()));
        long examples = 0;
        long steps = 0;
        double lossSum = 0;
        long nonFinite = -1;
        long trainStart = System.nanoTime();
        for (DataSet batch : batches) {
          int iteration = net.iterationCount();
          net.fit(batch);
          double loss = net.score();
          examples += batch.numExamples();
          steps++;
          if (!Double.isFinite(loss)) {
            if (nonFinite < 0) {
              nonFinite = iteration;
            }
            if (task.stopOnNonFinite()) {
              break;
            }
          }
          lossSum += loss;
        }
        long trainNanos = System.nanoTime() - trainStart;
        net.setListeners(List.of());
        float[] params = net.params().toFloatVector();
        float[] updater = updaterState(net);
        scale(params, examples);
        scale(updater, examples);
        out.add(new RoundResult(params, updater, examples, steps, lossSum, nonFinite,
            nonFinite >= 0 ? shard.worker() : -1, System.nanoTime() - taskStart, trainNanos,
            net.iterationCount() - 1L));
      } finally {
        NetworkPool.giveBack(task.runId(), task.graph(), task.configurationJson(), task.imageInput(), net);
      }
    }
    return out.iterator();
  }

  private static void scale(float[] values, long factor) {
    if (values != null) {
      for (int i = 0; i < values.length; i++) {
        values[i] *= factor;
      }
    }
  }

  /**
   * Accuracy, precision, recall, F1 and mean loss of the driver's network on the test shards, computed where they
   * live. Predictions that are not finite (a diverged network) are counted, not evaluated.
   */
  public TestOutcome evaluate(JavaRDD<Shard> test) {
    Broadcast<State> state = jsc.broadcast(new State(master.params().toFloatVector(), null));
    String id = runId;
    String json = configurationJson;
    boolean isGraph = graph;
    int[] image = imageInput;
    int size = batchSize;
    try {
      return test.mapPartitions(shards -> evaluateShards(shards, state.value(), id, isGraph, json, image, size))
          .reduce(TestOutcome::plus);
    } finally {
      state.destroy();
    }
  }

  /**
   * @param evaluation DL4J's classification evaluation of the finite predictions (null if there were none)
   * @param nonFinite examples whose predictions were NaN or infinite
   */
  public record TestOutcome(Evaluation evaluation, double lossSum, long examples, long nonFinite) implements Serializable {
    TestOutcome plus(TestOutcome o) {
      Evaluation e = evaluation;
      if (e == null) {
        e = o.evaluation;
      } else if (o.evaluation != null) {
        e.merge(o.evaluation);
      }
      return new TestOutcome(e, lossSum + o.lossSum, examples + o.examples, nonFinite + o.nonFinite);
    }

    /** Accuracy over every test example (NaN when any prediction was not finite or nothing was evaluated). */
    public double accuracy() {
      return nonFinite > 0 || evaluation == null ? Double.NaN : evaluation.accuracy();
    }

    public double meanLoss() {
      return examples == 0 ? Double.NaN : lossSum / examples;
    }
  }

  private static Iterator<TestOutcome> evaluateShards(Iterator<Shard> shards, State state, String runId, boolean graph,
      String json, int[] imageInput, int batchSize) {
    List<TestOutcome> out = new ArrayList<>(1);
    while (shards.hasNext()) {
      Shard shard = shards.next();
      TrainableNetwork net = NetworkPool.borrow(runId, graph, json, imageInput);
      try {
        net.setListeners(List.of());
        assign(net.params(), state.params());
        Evaluation evaluation = null;
        double lossSum = 0;
        long examples = 0;
        long nonFinite = 0;
        for (DataSet batch : shard.inOrder(batchSize)) {
          INDArray output = net.output(batch);
          long n = batch.numExamples();
          examples += n;
          lossSum += net.score(batch) * n;
          if (output.isInfinite().any() || output.isNaN().any()) {
            nonFinite += n;
            continue;
          }
          if (evaluation == null) {
            evaluation = new Evaluation();
          }
          // Sequences: every step the labels mask keeps (per step, or each sequence's last).
          evaluation.eval(batch.getLabels(), output, batch.getLabelsMaskArray());
        }
        out.add(new TestOutcome(evaluation, lossSum, examples, nonFinite));
      } finally {
        NetworkPool.giveBack(runId, graph, json, imageInput, net);
      }
    }
    return out.iterator();
  }

  /** Drops the run's pooled networks in this JVM. */
  public void close() {
    NetworkPool.forget(runId);
  }
}
