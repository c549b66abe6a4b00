package dev.activationmonkey.trainer.api;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.trainer.listener.ListenerConfig;
import dev.activationmonkey.trainer.listener.RunAccumulators;
import dev.activationmonkey.trainer.listener.SnapshotListener;
import dev.activationmonkey.trainer.publish.KafkaSettings;
import dev.activationmonkey.trainer.publish.RunRecords;
import dev.activationmonkey.trainer.spec.LoggingSpec;
import dev.activationmonkey.trainer.stats.StatsOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.SparkContext;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.spark.impl.SparkListenable;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;

/**
 * Activation Monkey for a team's own DL4J job: the public entry point of the trainer artifact. It instruments a network
 * the job builds and trains itself with the same snapshot listener, records and delivery guarantees as
 * {@code monkey train}: a RunStart when instrumented, the listener on every Spark executor (or in this JVM), one
 * idempotent producer per JVM with a spill directory, exact counts through Spark accumulators, and a RunEnd whose
 * {@code snapshotsSent} is the number of snapshot records the topic holds for the run.
 *
 * <pre>{@code
 * ActivationMonkey monkey = ActivationMonkey.forRun("fraud-model")
 *     .kafka("broker-1:9092")
 *     .every(10)
 *     .build();
 * SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, conf, trainingMaster);
 * try (MonitoredRun run = monkey.instrument(sparkNet)) {
 *   for (int epoch = 0; epoch < epochs; epoch++) {
 *     sparkNet.fit(trainData);
 *     run.evaluation(sparkNet.evaluate(testData), Double.NaN);
 *   }
 *   RunResult result = run.finish();   // RunEnd SUCCEEDED; without finish(), close() ends the run FAILED
 * }
 * }</pre>
 *
 * <p>The same for a {@link SparkComputationGraph}, and for a {@link MultiLayerNetwork} or {@link ComputationGraph}
 * trained in one JVM ({@code instrument(net)} adds the listener to the network's own listeners). Immutable and
 * thread-safe: one instance can instrument any number of runs, each with its own run id.
 */
public final class ActivationMonkey {
  private final String name;
  private final LoggingSpec logging;
  private final Map<String, String> tags;
  private final String dataSource;

  private ActivationMonkey(Builder b) {
    this.name = b.name;
    this.tags = Collections.unmodifiableMap(new TreeMap<>(b.tags));
    this.dataSource = b.dataSource;
    KafkaSettings k = b.defaults.kafka();
    Map<String, String> properties = new TreeMap<>(k.properties());
    properties.putAll(b.producerProperties);
    KafkaSettings kafka = new KafkaSettings(b.bootstrapServers, b.topic == null ? k.topic() : b.topic,
        k.maxBlockMillis(), b.deliveryTimeoutMillis > 0 ? b.deliveryTimeoutMillis : k.deliveryTimeoutMillis(),
        b.spillDirectory == null ? k.spillDirectory() : b.spillDirectory.toString(), k.spillMaxBytes(),
        b.finalDrainMillis >= 0 ? b.finalDrainMillis : k.finalDrainMillis(), properties);
    StatsOptions s = b.defaults.stats();
    StatsOptions stats = new StatsOptions(b.histogramBins >= 0 ? b.histogramBins : s.histogramBins(), s.neurons(),
        b.sampleExamples >= 0 ? b.sampleExamples : s.sampleExamples(), s.sampleMaxValues(), s.nearZeroThreshold());
    this.logging = new LoggingSpec(b.kinds == null ? b.defaults.kinds() : b.kinds, b.every, stats,
        b.defaults.histogramKinds(), kafka, b.defaults.copyBufferBytes());
  }

  /** Starts the settings of runs named {@code name} (letters, digits, '.', '_', '-'; the run id starts with it). */
  public static Builder forRun(String name) {
    return new Builder(name);
  }

  /** The run name. */
  public String name() {
    return name;
  }

  /** Delivery settings: bootstrap servers, topic, spill directory, timeouts, producer properties. */
  public KafkaSettings kafka() {
    return logging.kafka();
  }

  /** Logs iterations whose number is a multiple of this. */
  public int every() {
    return logging.every();
  }

  /** The snapshot kinds logged. */
  public Set<Kind> kinds() {
    return logging.kinds();
  }

  /**
   * Instruments a Spark MultiLayerNetwork: sends RunStart and sets the snapshot listener, with {@code others}, as the
   * listeners of its training master (dl4j-spark's {@code setListeners} replaces earlier ones: pass yours here).
   */
  public MonitoredRun instrument(SparkDl4jMultiLayer sparkNet, TrainingListener... others) {
    return spark(sparkNet, sparkNet.getSparkContext().sc(), sparkNet.getNetwork(),
        sparkNet.getTrainingMaster().getClass().getSimpleName(), others);
  }

  /** Instruments a Spark ComputationGraph, as {@link #instrument(SparkDl4jMultiLayer, TrainingListener...)}. */
  public MonitoredRun instrument(SparkComputationGraph sparkGraph, TrainingListener... others) {
    return spark(sparkGraph, sparkGraph.getSparkContext().sc(), sparkGraph.getNetwork(),
        sparkGraph.getTrainingMaster().getClass().getSimpleName(), others);
  }

  /** Instruments a MultiLayerNetwork trained in this JVM: adds the listener to its listeners until the run ends. */
  public MonitoredRun instrument(MultiLayerNetwork net) {
    return local(net);
  }

  /** Instruments a ComputationGraph trained in this JVM: adds the listener to its listeners until the run ends. */
  public MonitoredRun instrument(ComputationGraph graph) {
    return local(graph);
  }

  private MonitoredRun spark(SparkListenable target, SparkContext sc, Model network, String trainingMaster,
      TrainingListener[] others) {
    long start = System.currentTimeMillis();
    String runId = RunRecords.newRunId(name, start);
    RunAccumulators accumulators = RunAccumulators.register(sc);
    SnapshotListener listener = new SnapshotListener(listenerConfig(runId), accumulators);
    List<TrainingListener> listeners = new ArrayList<>();
    listeners.add(listener);
    listeners.addAll(List.of(others));
    target.setListeners(listeners);
    // When the run ends, the training master keeps only the job's own listeners (dl4j-spark cannot read earlier ones).
    List<TrainingListener> own = List.of(others);
    return MonitoredRun.start(this, runId, start, network, listener, accumulators, () -> target.setListeners(own),
        sc.master(), sc.defaultParallelism(), trainingMaster, sc);
  }

  private MonitoredRun local(Model network) {
    long start = System.currentTimeMillis();
    String runId = RunRecords.newRunId(name, start);
    SnapshotListener listener = new SnapshotListener(listenerConfig(runId), null);
    network.addListeners(listener);
    Runnable detach = () -> {
      java.util.Collection<TrainingListener> current = network instanceof ComputationGraph g ? g.getListeners()
          : ((MultiLayerNetwork) network).getListeners();
      List<TrainingListener> kept = new ArrayList<>(current == null ? List.of() : current);
      kept.remove(listener);
      network.setListeners(kept);
    };
    return MonitoredRun.start(this, runId, start, network, listener, null, detach, "none (one JVM)", 1, "none");
  }

  /**
   * Instruments a ParallelWrapper (several replicas of its model trained in this JVM, one thread each): adds the
   * listener to the wrapper's listeners until the run ends. Each replica thread reports as a worker of its own
   * ({@code worker.partitionId} 0, 1, ...), with its replica's iteration numbers.
   */
  public MonitoredRun instrument(ParallelWrapper wrapper) {
    long start = System.currentTimeMillis();
    String runId = RunRecords.newRunId(name, start);
    SnapshotListener listener = new SnapshotListener(listenerConfig(runId), null, true);
    List<TrainingListener> before = new ArrayList<>(wrapper.getListeners() == null ? List.of() : wrapper.getListeners());
    List<TrainingListener> with = new ArrayList<>(before);
    with.add(listener);
    wrapper.setListeners(with);
    return MonitoredRun.start(this, runId, start, wrapper.getModel(), listener, null, () -> wrapper.setListeners(before),
        "none (one JVM, ParallelWrapper)", wrapper.getWorkers(), "ParallelWrapper");
  }

  ListenerConfig listenerConfig(String runId) {
    return new ListenerConfig(runId, logging.kinds(), logging.every(), logging.stats(), logging.histogramKinds(),
        logging.kafka(), -1, 0, logging.copyBufferBytes());
  }

  Map<String, String> tags() {
    return tags;
  }

  String dataSource() {
    return dataSource;
  }

  /** What RunStart's job-spec text says about a library run: these settings, in the job spec's own keys. */
  String describe(Model network) {
    KafkaSettings k = logging.kafka();
    return "# instrumented by the Activation Monkey library (dev.activationmonkey.trainer.api)\n"
        + "name: " + name + "\n"
        + "network: {" + (network instanceof ComputationGraph ? "computation-graph" : "multi-layer-network")
        + ", parameters: " + network.numParams() + "}\n"
        + "logging:\n"
        + "  every: " + logging.every() + "\n"
        + "  kinds: [" + String.join(", ", logging.kinds().stream().map(kind -> kind.name().toLowerCase(Locale.ROOT)
            + "s").toList()) + "]\n"
        + "  histogram-bins: " + logging.stats().histogramBins() + "\n"
        + "  kafka: {bootstrap-servers: " + k.bootstrapServers() + ", topic: " + k.topic() + ", spill-dir: "
        + k.spillDirectory() + "}\n";
  }

  /**
   * The settings of {@link ActivationMonkey}. Every setting but {@link #kafka} has the default of the job spec's
   * {@code logging} key of the same name (docs/trainer.md).
   */
  public static final class Builder {
    private final String name;
    private final LoggingSpec defaults = LoggingSpec.defaults();
    private String bootstrapServers;
    private String topic;
    private int every;
    private Set<Kind> kinds;
    private int histogramBins = -1;
    private int sampleExamples = -1;
    private Path spillDirectory;
    private long deliveryTimeoutMillis = -1;
    private long finalDrainMillis = -1;
    private String dataSource = "the job's own data";
    private final Map<String, String> producerProperties = new LinkedHashMap<>();
    private final Map<String, String> tags = new LinkedHashMap<>();

    private Builder(String name) {
      this.name = requireNonNull(name, "name is null");
      this.every = defaults.every();
    }

    /** Kafka bootstrap servers, {@code host:port[,host:port]} (required). */
    public Builder kafka(String bootstrapServers) {
      this.bootstrapServers = requireNonNull(bootstrapServers, "bootstrapServers is null");
      return this;
    }

    /** The snapshot topic (logging.kafka.topic; default monkey.snapshots). */
    public Builder topic(String topic) {
      this.topic = requireNonNull(topic, "topic is null");
      return this;
    }

    /** Logs every N-th iteration (logging.every; default 10). */
    public Builder every(int iterations) {
      this.every = iterations;
      return this;
    }

    /** Which arrays to summarise (logging.kinds; default all four). */
    public Builder kinds(Kind first, Kind... more) {
      this.kinds = EnumSet.of(first, more);
      return this;
    }

    /** Histogram bins for activations and gradients (logging.histogram-bins; default 20; 0 = none). */
    public Builder histogramBins(int bins) {
      this.histogramBins = bins;
      return this;
    }

    /** Raw activations of the first N examples, for heatmaps (logging.sample.examples; default 0). */
    public Builder sampleExamples(int examples) {
      this.sampleExamples = examples;
      return this;
    }

    /** Where undeliverable snapshots wait on each JVM (logging.kafka.spill-dir; default the temp directory). */
    public Builder spillDirectory(Path directory) {
      this.spillDirectory = requireNonNull(directory, "directory is null");
      return this;
    }

    /** How long a snapshot is retried before it is spilled (logging.kafka.delivery-timeout-ms; default 15 s). */
    public Builder deliveryTimeoutMillis(long millis) {
      this.deliveryTimeoutMillis = millis;
      return this;
    }

    /** How long the end of a run waits for the broker to take spilled snapshots (default 60 s). */
    public Builder finalDrainMillis(long millis) {
      this.finalDrainMillis = millis;
      return this;
    }

    /** A Kafka producer property passed through (security.protocol, sasl.*, ssl.*, ...). */
    public Builder producerProperty(String key, String value) {
      producerProperties.put(requireNonNull(key, "key is null"), requireNonNull(value, "value is null"));
      return this;
    }

    /** A tag on the run's RunStart (tags in the job spec). */
    public Builder tag(String key, String value) {
      tags.put(requireNonNull(key, "key is null"), requireNonNull(value, "value is null"));
      return this;
    }

    /** What RunStart's data summary names as the data's source (default "the job's own data"). */
    public Builder dataSource(String description) {
      this.dataSource = requireNonNull(description, "description is null");
      return this;
    }

    /**
     * The settings; fails with {@link IllegalArgumentException} naming the builder method to fix when a setting is
     * missing or out of range.
     */
    public ActivationMonkey build() {
      if (!name.matches("[A-Za-z0-9._-]{1,100}")) {
        throw new IllegalArgumentException("forRun(\"" + name + "\"): a run name is 1-100 letters, digits, '.', '_'"
            + " or '-' (it starts the run id)");
      }
      if (bootstrapServers == null || bootstrapServers.isBlank()) {
        throw new IllegalArgumentException("kafka(bootstrapServers) is required: the brokers snapshots are sent to,"
            + " e.g. kafka(\"127.0.0.1:9092\")");
      }
      if (every < 1) {
        throw new IllegalArgumentException("every(" + every + "): must be at least 1");
      }
      if (topic != null && !topic.matches("[A-Za-z0-9._-]{1,249}")) {
        throw new IllegalArgumentException("topic(\"" + topic + "\"): not a valid Kafka topic name (letters, digits,"
            + " '.', '_', '-')");
      }
      if (histogramBins > 10_000) {
        throw new IllegalArgumentException("histogramBins(" + histogramBins + "): at most 10000");
      }
      if (deliveryTimeoutMillis >= 0 && deliveryTimeoutMillis < 1_000) {
        throw new IllegalArgumentException("deliveryTimeoutMillis(" + deliveryTimeoutMillis + "): at least 1000");
      }
      for (String key : producerProperties.keySet()) {
        if (LoggingSpec.isReserved(key)) {
          throw new IllegalArgumentException("producerProperty(\"" + key + "\", ...): set by Activation Monkey; use"
              + " kafka(...) or deliveryTimeoutMillis(...) instead, or leave it out (serializers are bytes, idempotence"
              + " is always on)");
        }
      }
      return new ActivationMonkey(this);
    }
  }
}
