package dev.activationmonkey.trainer.listener;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.snapshot.RecordKeys;
import dev.activationmonkey.snapshot.avro.ActivationSample;
import dev.activationmonkey.snapshot.avro.Histogram;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.NeuronStats;
import dev.activationmonkey.snapshot.avro.NeuronUnit;
import dev.activationmonkey.snapshot.avro.WorkerId;
import dev.activationmonkey.trainer.diag.StageTimers;
import dev.activationmonkey.trainer.diag.StageTimers.Stage;
import dev.activationmonkey.trainer.progress.LiveProgress;
import dev.activationmonkey.trainer.publish.DeliveryCounts;
import dev.activationmonkey.trainer.publish.DeliveryTotals;
import dev.activationmonkey.trainer.publish.SnapshotProducer;
import dev.activationmonkey.trainer.stats.ArrayCopies;
import dev.activationmonkey.trainer.stats.ArrayStatistics;
import dev.activationmonkey.trainer.stats.ArrayStats;
import dev.activationmonkey.trainer.stats.DenseOutput;
import dev.activationmonkey.trainer.stats.StatsOptions;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.util.TaskCompletionListener;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.BaseOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The DL4J training listener that turns a layer's activations, gradients, parameters and updates into
 * {@link LayerSnapshot}s on the worker and sends them to Kafka, every {@code every} iterations. It listens to a
 * {@link MultiLayerNetwork} (one snapshot set per layer) or a {@link ComputationGraph} (one per vertex after the
 * inputs, named by the vertex: layer vertices and the outputs of merge, element-wise and other vertices that DL4J
 * hands listeners); other models are ignored.
 *
 * <ul>
 *   <li>Activations come from {@code onForwardPass} (DL4J lists the input and every layer but the output
 *       layer during {@code fit}; a dense output layer's activations are recomputed from its input, W and b).
 *       A recurrent layer's {@code [batch, units, time]} activations are summarised per unit over batch and time
 *       steps, leaving out the steps its mask marks absent.
 *   <li>Gradients from {@code onGradientCalculation}: the raw gradient, before normalisation and updater.
 *   <li>Updates and parameters from {@code iterationDone}: by then DL4J's gradient view holds what the updater
 *       produced and the step subtracted from the parameters, and the parameters are the new values.
 * </ul>
 *
 * <p>Under Spark the listener is serialized into every task and deserialized in the task's thread; it binds to
 * that task there (partition, attempt, stage, executor), so it also knows its task when DL4J calls it from
 * other threads (gradient sharing's ParallelWrapper). When the task completes, the shared producer is flushed,
 * spilled records are re-sent if the broker answers, and the task's delivery counts are added to the run's
 * accumulators. Thread-safe.
 */
public final class SnapshotListener extends BaseTrainingListener implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Runs whose injected failure (training.inject-failure) happened in this JVM: once per run. */
  private static final java.util.Set<String> FAILURE_INJECTED = ConcurrentHashMap.newKeySet();
  private static final Logger LOG = Logger.getLogger(SnapshotListener.class.getName());
  private static final AtomicInteger SNAPSHOT_FAILURES = new AtomicInteger();
  private static final String HOST = hostName();
  /** The JVM's pools of array copies, one per memory bound (one in practice), shared by every task and thread. */
  private static final Map<Long, ArrayCopies> COPIES = new ConcurrentHashMap<>();

  private final ListenerConfig config;
  private final RunAccumulators accumulators;
  /** Outside Spark, each training thread is a worker of its own (ParallelWrapper's replicas): see below. */
  private final boolean workerPerThread;
  private transient volatile ThreadLocal<TaskBinding> threadBindings;
  private transient java.util.Queue<TaskBinding> allThreadBindings;
  private transient AtomicInteger nextThreadWorker;

  private transient volatile TaskBinding binding;
  private transient volatile ModelView view;
  private transient ThreadLocal<long[]> lastActivationIteration;
  /** The JVM's producer for these settings, looked up once (not per snapshot: the settings' hash is not free). */
  private transient volatile SnapshotProducer producer;

  /** The task (or plain JVM) this copy of the listener reports for. */
  private record TaskBinding(int partitionId, int attemptNumber, long taskAttemptId, int stageId, String executorId,
      DeliveryCounts counts, long[] iterationsSeen, TaskContext context) {}

  /**
   * Per run, the outcomes of snapshots sent by a listener whose task has already completed: gradient sharing keeps
   * the first task's listener in its long-lived trainer threads for every later task. The next task of the run that
   * completes in this JVM reports them.
   */
  private static final Map<String, DeliveryCounts> AFTER_TASK = new ConcurrentHashMap<>();

  /**
   * @param accumulators where tasks report their counts; null outside Spark (read {@link #localTotals()})
   */
  public SnapshotListener(ListenerConfig config, RunAccumulators accumulators) {
    this(config, accumulators, false);
  }

  /**
   * @param workerPerThread outside Spark, number each thread that trains a worker of its own (0, 1, ... in the order
   *     they first report): a ParallelWrapper trains one replica per thread, each counting its own iterations, so
   *     one shared worker number would give two replicas' snapshots one identity. Under Spark the task decides.
   */
  public SnapshotListener(ListenerConfig config, RunAccumulators accumulators, boolean workerPerThread) {
    this.config = requireNonNull(config, "config is null");
    this.accumulators = accumulators;
    this.workerPerThread = workerPerThread;
  }

  public ListenerConfig config() {
    return config;
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    // Deserialized in the task's own thread: bind now, while TaskContext.get() still answers.
    TaskContext context = TaskContext.get();
    if (context != null) {
      binding = bind(context);
    }
  }

  private TaskBinding binding() {
    TaskBinding b = binding;
    if (b == null && workerPerThread && TaskContext.get() == null) {
      return threadBinding();
    }
    if (b == null) {
      synchronized (this) {
        if (binding == null) {
          TaskContext context = TaskContext.get();
          binding = context != null ? bind(context)
              : new TaskBinding(-1, 0, -1, -1, "local", new DeliveryCounts(LiveProgress.of(config.runId()).delivery()),
                  new long[1], null);
        }
        b = binding;
      }
    }
    return b;
  }

  private TaskBinding threadBinding() {
    if (threadBindings == null) {
      synchronized (this) {
        if (threadBindings == null) {
          allThreadBindings = new java.util.concurrent.ConcurrentLinkedQueue<>();
          nextThreadWorker = new AtomicInteger();
          threadBindings = new ThreadLocal<>();
        }
      }
    }
    TaskBinding b = threadBindings.get();
    if (b == null) {
      b = new TaskBinding(nextThreadWorker.getAndIncrement(), 0, -1, -1, "local",
          new DeliveryCounts(LiveProgress.of(config.runId()).delivery()), new long[1], null);
      threadBindings.set(b);
      allThreadBindings.add(b);
    }
    return b;
  }

  private TaskBinding bind(TaskContext context) {
    SparkEnv env = SparkEnv.get();
    TaskBinding b = new TaskBinding(context.partitionId(), context.attemptNumber(), context.taskAttemptId(),
        context.stageId(), env == null ? "driver" : env.executorId(),
        new DeliveryCounts(LiveProgress.of(config.runId()).delivery()), new long[1], context);
    context.addTaskCompletionListener(new TaskCompletionListener() {
      @Override
      public void onTaskCompletion(TaskContext completed) {
        finishTask(b);
      }
    });
    return b;
  }

  /** Flush, re-send what waits in the spill if the broker answers, and report this task's counts. */
  private void finishTask(TaskBinding b) {
    if (config.enabled()) {
      SnapshotProducer producer = SnapshotProducer.forSettings(config.kafka());
      producer.flush();
      if (producer.hasSpilled() && producer.brokerLooksReachable()) {
        producer.resendSpilled(b.counts());
      }
    }
    if (accumulators != null) {
      accumulators.addDelivery(b.counts().drain());
      DeliveryCounts late = AFTER_TASK.get(config.runId());
      if (late != null) {
        accumulators.addDelivery(late.drain());
      }
    }
  }

  /**
   * Called in a Spark task by the driver when a run ends: this copy of the listener binds to that task, and its
   * completion flushes the JVM's producer and reports the counts of snapshots sent after their own task completed
   * (gradient sharing's trainer threads outlive the tasks that fed them); it also drops the run's step clock in this
   * JVM.
   */
  public void settleInTask() {
    binding();
    StepClock.forget(config.runId()); // the run has ended: its steps in this JVM are numbered no more
  }

  /** Where a snapshot's delivery outcome is counted: its task's counts, or the run's late counts once it completed. */
  private DeliveryCounts counts(TaskBinding b) {
    if (b.context() != null && b.context().isCompleted()) {
      return AFTER_TASK.computeIfAbsent(config.runId(),
          id -> new DeliveryCounts(LiveProgress.of(id).delivery()));
    }
    return b.counts();
  }

  /** Delivery counts of this listener outside Spark (benchmark, single-JVM training), after {@link #flush()}. */
  public DeliveryTotals localTotals() {
    if (workerPerThread) {
      DeliveryTotals sum = binding == null ? DeliveryTotals.ZERO : binding.counts().totals();
      if (allThreadBindings != null) {
        for (TaskBinding b : allThreadBindings) {
          sum = sum.plus(b.counts().totals());
        }
      }
      return sum;
    }
    return binding().counts().totals();
  }

  /** Flushes the producer (outside Spark; under Spark, task completion does it). */
  public void flush() {
    if (config.enabled()) {
      long t = StageTimers.start();
      SnapshotProducer.forSettings(config.kafka()).flush();
      StageTimers.stop(Stage.FLUSH, t);
    }
  }

  private boolean logs(Model model, Kind kind) {
    return config.logs(kind) && ModelView.supports(model) && step(model) % config.every() == 0;
  }

  /** The step being trained: the {@link StepClock}'s under gradient sharing, else the network's iteration count. */
  private long step(Model model) {
    StepClock clock = StepClock.of(config.runId());
    return clock != null ? clock.step() : ModelView.iteration(model);
  }

  private ModelView view(Model model) {
    ModelView v = view;
    if (v == null) {
      v = ModelView.of(model);
      view = v;
    }
    return v;
  }

  /** True the first time this thread sees this step's forward pass: later passes (a score computation) are skipped. */
  private boolean firstForwardPass(Model model) {
    if (lastActivationIteration == null) {
      synchronized (this) {
        if (lastActivationIteration == null) {
          lastActivationIteration = ThreadLocal.withInitial(() -> new long[] {-1});
        }
      }
    }
    long[] last = lastActivationIteration.get();
    long iteration = step(model);
    if (last[0] == iteration) {
      return false;
    }
    last[0] = iteration;
    return true;
  }

  @Override
  public void onForwardPass(Model model, List<INDArray> activations) {
    if (!(model instanceof MultiLayerNetwork net) || !logs(model, Kind.ACTIVATION) || !firstForwardPass(model)) {
      return;
    }
    LayerInfo[] info = view(net).layers();
    int n = Math.min(info.length, activations.size() - 1);
    List<Item> items = new ArrayList<>(n + 1);
    for (int i = 0; i < n; i++) {
      items.add(activationItem(model, info[i], activations.get(i + 1)));
    }
    if (n == info.length - 1 && net.getOutputLayer() instanceof BaseOutputLayer<?> output) {
      OutputLayerInput in = OutputLayerInput.of(output, activations.get(activations.size() - 1), info[n].activation());
      if (in != null) {
        items.add(new Item(info[n], Kind.ACTIVATION, null, null, true, 1.0, in));
      }
    }
    publish(model, items);
  }

  /** A ComputationGraph's forward pass: activations by vertex name (inputs included, output layers not). */
  @Override
  public void onForwardPass(Model model, Map<String, INDArray> activations) {
    if (!(model instanceof ComputationGraph graph) || !logs(model, Kind.ACTIVATION) || !firstForwardPass(model)) {
      return;
    }
    ModelView v = view(graph);
    List<Item> items = new ArrayList<>(v.layers().length);
    for (LayerInfo layer : v.layers()) {
      INDArray array = activations.get(layer.name());
      if (array != null) {
        items.add(activationItem(model, layer, array));
        continue;
      }
      String inputName = v.outputLayerInput(layer.name());
      INDArray input = inputName == null ? null : activations.get(inputName);
      if (input != null && graph.getLayer(layer.name()) instanceof BaseOutputLayer<?> output) {
        OutputLayerInput in = OutputLayerInput.of(output, input, layer.activation());
        if (in != null) {
          items.add(new Item(layer, Kind.ACTIVATION, null, null, true, 1.0, in));
        }
      }
    }
    publish(model, items);
  }

  /** A layer's activations; a recurrent layer's as one row per unmasked (example, time step), see below. */
  private static Item activationItem(Model model, LayerInfo layer, INDArray array) {
    if (layer.recurrent() && array.rank() == 3) {
      long t = StageTimers.start();
      INDArray steps = RecurrentActivations.flatten(array, ModelView.timeMask(model, layer), layer.timeMajor());
      StageTimers.stop(Stage.COPY, t);
      return new Item(layer, Kind.ACTIVATION, null, steps, true, 1.0, null);
    }
    return new Item(layer, Kind.ACTIVATION, null, array, true, 1.0, null);
  }

  /**
   * What a dense output layer's activations are computed from: DL4J's {@code onForwardPass} lists every layer's
   * activations but the output layer's, so they are recomputed as activation(input · W + b).
   */
  private record OutputLayerInput(INDArray input, INDArray w, INDArray b, IActivation fn, String activation) {
    static OutputLayerInput of(BaseOutputLayer<?> output, INDArray input, String activation) {
      INDArray w = output.getParam("W");
      INDArray b = output.getParam("b");
      if (w == null || b == null || input.rank() != 2 || w.rank() != 2 || input.size(1) != w.size(0)) {
        return null;
      }
      return new OutputLayerInput(input, w, b, output.layerConf().getActivationFn(), activation);
    }

    /** The activations, in a new array outside workspaces: in Java where {@link DenseOutput} can, else ND4J ops. */
    INDArray activations() {
      long t = StageTimers.start();
      try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        INDArray direct = DenseOutput.compute(input, w, b, activation);
        if (direct != null) {
          return direct;
        }
        INDArray z = input.castTo(w.dataType()).mmul(w).addiRowVector(b);
        return fn.getActivation(z, false);
      } finally {
        StageTimers.stop(Stage.OUTPUT_RECOMPUTE, t);
      }
    }
  }

  @Override
  public void onGradientCalculation(Model model) {
    if (logs(model, Kind.GRADIENT)) {
      sendParameterTable(model, Kind.GRADIENT, model.gradient().gradientForVariable());
    }
  }

  @Override
  public void iterationDone(Model model, int iteration, int epoch) {
    TaskBinding b = binding();
    if (ModelView.supports(model)) {
      if (logs(model, Kind.UPDATE) && model.gradient() != null) {
        // After the step, the gradient view holds the update the updater produced and the step applied.
        sendParameterTable(model, Kind.UPDATE, model.gradient().gradientForVariable());
      }
      if (logs(model, Kind.PARAMETER)) {
        sendParameterTable(model, Kind.PARAMETER, ModelView.parameters(model));
      }
    }
    long t = StageTimers.start();
    long batch = model.batchSize();
    LiveProgress.of(config.runId()).iteration(batch, model.score());
    StepClock clock = StepClock.of(config.runId());
    if (clock != null) {
      clock.advance(); // the task feeding the batches counts the work: this listener's task may have completed
    } else if (accumulators != null) {
      accumulators.addWork(1, batch);
    }
    b.iterationsSeen()[0]++;
    StageTimers.stop(Stage.PROGRESS, t);
    maybeInjectFailure(b);
  }

  private void maybeInjectFailure(TaskBinding b) {
    if (config.failPartition() >= 0 && b.partitionId() == config.failPartition() && b.attemptNumber() == 0
        && b.iterationsSeen()[0] >= config.failAfterIterations() && FAILURE_INJECTED.add(config.runId())) {
      throw new IllegalStateException("injected failure (training.inject-failure) in partition "
          + b.partitionId() + " attempt 0 after " + b.iterationsSeen()[0] + " iterations");
    }
  }

  /**
   * One snapshot per entry of a parameter-shaped table (keys {@code <layer>_<parameter>}: a recurrent layer's input
   * weights W, recurrent weights RW and bias b, a Bidirectional's fW, fRW, fb, bW, bRW, bb are separate snapshots).
   */
  private void sendParameterTable(Model model, Kind kind, Map<String, INDArray> table) {
    ModelView v = view(model);
    List<Item> items = new ArrayList<>(table.size());
    for (Map.Entry<String, INDArray> e : table.entrySet()) {
      Map.Entry<LayerInfo, String> p = e.getValue() == null ? null : v.parameter(e.getKey());
      if (p != null) {
        items.add(new Item(p.getKey(), kind, p.getValue(), e.getValue(), false,
            gradientScale(model, kind, p.getKey(), p.getValue()), null));
      }
    }
    publish(model, items);
  }

  /**
   * DL4J's gradient at {@code onGradientCalculation} is that of the loss summed over the mini-batch; the updater
   * divides it by the batch size before anything else ({@code BaseMultiLayerUpdater.update}: divideByMinibatch when
   * the configuration is mini-batch and the layer says {@code updaterDivideByMinibatch(param)}). Snapshots report
   * the gradient of the mean loss, what the update is computed from and what other tools show.
   */
  private static double gradientScale(Model model, Kind kind, LayerInfo layer, String parameter) {
    if (kind != Kind.GRADIENT || !model.conf().isMiniBatch()) {
      return 1.0;
    }
    long batch = model.batchSize();
    org.deeplearning4j.nn.api.Layer l = ModelView.layer(model, layer);
    return batch > 1 && l != null && l.updaterDivideByMinibatch(parameter) ? 1.0 / batch : 1.0;
  }

  /**
   * One array to summarise, and what its snapshot says about it.
   *
   * @param array the array, or null for an output layer's activations, computed from {@code output}
   */
  private record Item(LayerInfo layer, Kind kind, String parameter, INDArray array, boolean activations, double scale,
      OutputLayerInput output) {
    /** The arrays this item reads. */
    void arrays(List<INDArray> into) {
      if (array != null) {
        into.add(array);
      } else {
        into.add(output.input());
        into.add(output.w());
        into.add(output.b());
      }
    }

    /** The same item over the copies of its arrays ({@code copies} maps each original to its copy). */
    Item over(Map<INDArray, INDArray> copies) {
      return array != null
          ? new Item(layer, kind, parameter, copies.get(array), activations, scale, null)
          : new Item(layer, kind, parameter, null, activations, scale, new OutputLayerInput(copies.get(output.input()),
              copies.get(output.w()), copies.get(output.b()), output.fn(), output.activation()));
    }
  }

  /**
   * Where and when a callback's snapshots were taken, fixed on the training thread. {@code worker}: the task's
   * partition, or under gradient sharing the JVM's worker number (see {@link StepClock}).
   */
  private record Stamp(TaskBinding binding, int worker, int epoch, long iteration, long timestampMillis,
      String thread) {}

  /**
   * Snapshots of {@code items}, sent in one hand-off. Their arrays are valid only during this callback: they are
   * copied (one native copy each, see {@link ArrayCopies}) and the statistics, records, encoding and sending happen
   * on the publishing thread, off the training thread. If the copies' memory bound is reached (the publishing thread
   * is behind) or copying is off, the statistics are computed here and only encoding and sending are handed off.
   * Either way the records enter the producer's queue in callback order.
   */
  private void publish(Model model, List<Item> items) {
    if (items.isEmpty()) {
      return;
    }
    TaskBinding b = binding();
    DeliveryCounts counts = counts(b);
    StepClock clock = StepClock.of(config.runId());
    Stamp stamp = clock == null
        ? new Stamp(b, b.partitionId(), ModelView.epoch(model), ModelView.iteration(model), System.currentTimeMillis(),
            Thread.currentThread().getName())
        : new Stamp(b, StepClock.jvmWorker(), clock.epoch(), clock.step(), System.currentTimeMillis(),
            Thread.currentThread().getName());
    byte[] key = RecordKeys.worker(config.runId(), stamp.worker());
    SnapshotProducer producer = producer();
    ArrayCopies pool = copies();
    long t = StageTimers.start();
    Map<INDArray, INDArray> copies = pool == null ? null : copy(pool, items);
    StageTimers.stop(Stage.COPY, t);
    if (copies != null) {
      AtomicBoolean released = new AtomicBoolean();
      Runnable release = () -> {
        if (released.compareAndSet(false, true)) {
          copies.values().forEach(pool::release);
        }
      };
      try {
        producer.sendAsync(key, () -> {
          try {
            List<LayerSnapshot> records = new ArrayList<>(items.size());
            for (Item item : items) {
              snapshot(stamp, item.over(copies), records, counts);
            }
            return records;
          } finally {
            release.run();
          }
        }, counts);
      } catch (RuntimeException e) {
        release.run();
        throw e;
      }
      return;
    }
    t = StageTimers.start();
    List<LayerSnapshot> records = new ArrayList<>(items.size());
    for (Item item : items) {
      snapshot(stamp, item, records, counts);
    }
    t = stopAndRestart(Stage.ON_TRAINING_THREAD, t);
    producer.sendAsync(key, () -> records, counts);
    StageTimers.stop(Stage.SEND, t);
  }

  /**
   * Copies from {@code pool} of every array the items read, or null (nothing held) if an array cannot be copied or
   * the copies do not fit the pool's bound (then at once, before copying anything, if they never could).
   */
  private static Map<INDArray, INDArray> copy(ArrayCopies pool, List<Item> items) {
    List<INDArray> arrays = new ArrayList<>();
    for (Item item : items) {
      item.arrays(arrays);
    }
    Map<INDArray, INDArray> copies = new IdentityHashMap<>();
    long bytes = 0;
    for (INDArray array : arrays) {
      if (copies.put(array, array) == null) {
        bytes += array.length() * array.dataType().width();
      }
    }
    if (bytes > pool.maxBytes()) {
      return null;
    }
    for (Map.Entry<INDArray, INDArray> e : copies.entrySet()) {
      INDArray copy = pool.copyOf(e.getKey());
      if (copy == null) {
        copies.forEach((original, held) -> {
          if (held != original) {
            pool.release(held);
          }
        });
        return null;
      }
      e.setValue(copy);
    }
    return copies;
  }

  /**
   * Adds the item's snapshot to {@code into}; if it cannot be made, counts a dropped record and logs the cause (the
   * first few times) instead, so that one bad array costs its own snapshot only, and never the training run.
   */
  private void snapshot(Stamp stamp, Item item, List<LayerSnapshot> into, DeliveryCounts counts) {
    try {
      into.add(snapshot(stamp, item));
    } catch (RuntimeException e) {
      counts.dropped();
      if (SNAPSHOT_FAILURES.incrementAndGet() <= 10) {
        LOG.log(Level.WARNING, "could not make the " + item.kind() + " snapshot of layer " + item.layer().index()
            + (item.parameter() == null ? "" : " parameter " + item.parameter()) + "; counted as dropped", e);
      }
    }
  }

  private LayerSnapshot snapshot(Stamp stamp, Item item) {
    long t = StageTimers.start();
    INDArray array = item.array() != null ? item.array() : item.output().activations();
    StatsOptions options = item.activations() ? config.stats(item.kind())
        : StatsOptions.momentsOnlyWithHistogram(config.stats(item.kind()));
    ArrayStats stats = ArrayStatistics.compute(array, options, item.activations() ? item.layer().saturation() : null,
        item.activations(), item.scale());
    t = stopAndRestart(statsStage(item.kind()), t);
    LayerSnapshot s = toRecord(stamp, item.layer(), item.kind(), item.parameter(), stats);
    StageTimers.stop(Stage.RECORD, t);
    return s;
  }

  /** The JVM's pool of array copies for this configuration's bound; null when copying is off. */
  private ArrayCopies copies() {
    long bytes = config.effectiveCopyBufferBytes();
    return bytes == 0 ? null : COPIES.computeIfAbsent(bytes, ArrayCopies::new);
  }

  private SnapshotProducer producer() {
    SnapshotProducer p = producer;
    if (p == null || p.isClosed()) {
      p = SnapshotProducer.forSettings(config.kafka());
      producer = p;
    }
    return p;
  }

  private static long stopAndRestart(Stage stage, long start) {
    StageTimers.stop(stage, start);
    return StageTimers.start();
  }

  private static Stage statsStage(Kind kind) {
    return switch (kind) {
      case ACTIVATION -> Stage.ACTIVATION_STATS;
      case GRADIENT -> Stage.GRADIENT_STATS;
      case PARAMETER -> Stage.PARAMETER_STATS;
      case UPDATE -> Stage.UPDATE_STATS;
    };
  }

  private LayerSnapshot toRecord(Stamp stamp, LayerInfo layer, Kind kind, String parameter, ArrayStats stats) {
    TaskBinding b = stamp.binding();
    LayerSnapshot s = new LayerSnapshot();
    s.setRunId(config.runId());
    s.setWorker(new WorkerId(stamp.worker(), b.attemptNumber(), b.taskAttemptId(), b.stageId(), b.executorId(), HOST,
        stamp.thread()));
    s.setEpoch(stamp.epoch());
    s.setIteration(stamp.iteration());
    s.setLayerIndex(layer.index());
    s.setLayerName(layer.name());
    s.setLayerType(layer.type());
    s.setActivationFunction(layer.activation());
    s.setKind(kind);
    s.setParameterName(parameter);
    s.setTimestampMillis(Instant.ofEpochMilli(stamp.timestampMillis()));
    s.setCount(stats.count());
    s.setMean(stats.mean());
    s.setStd(stats.std());
    s.setMin(stats.min());
    s.setMax(stats.max());
    s.setMeanAbs(stats.meanAbs());
    s.setL2Norm(stats.l2Norm());
    s.setZeroFraction(stats.zeroFraction());
    s.setNearZeroFraction(stats.nearZeroFraction());
    s.setNearZeroThreshold(stats.nearZeroThreshold());
    s.setNanCount(stats.nanCount());
    s.setPosInfCount(stats.posInfCount());
    s.setNegInfCount(stats.negInfCount());
    if (stats.histogramCounts() != null) {
      List<Double> edges = new ArrayList<>(stats.histogramEdges().length);
      for (double edge : stats.histogramEdges()) {
        edges.add(edge);
      }
      List<Long> counts = new ArrayList<>(stats.histogramCounts().length);
      for (long count : stats.histogramCounts()) {
        counts.add(count);
      }
      s.setHistogram(new Histogram(edges, counts));
    }
    if (stats.firingRate() != null) {
      s.setNeurons(new NeuronStats(stats.perChannel() ? NeuronUnit.CHANNEL : NeuronUnit.NEURON, stats.examples(),
          floats(stats.firingRate()), floats(stats.meanActivation())));
    }
    s.setSaturatedFraction(stats.saturatedFraction());
    if (stats.sampleValues() != null) {
      List<Integer> shape = new ArrayList<>(stats.sampleShape().length);
      for (int d : stats.sampleShape()) {
        shape.add(d);
      }
      s.setSample(new ActivationSample(shape, floats(stats.sampleValues())));
    }
    return s;
  }

  private static List<Float> floats(float[] values) {
    List<Float> list = new ArrayList<>(values.length);
    for (float v : values) {
      list.add(v);
    }
    return list;
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
