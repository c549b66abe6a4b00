package dev.activationmonkey.trainer.spec;

import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.trainer.listener.ListenerConfig;
import dev.activationmonkey.trainer.publish.KafkaSettings;
import dev.activationmonkey.trainer.stats.StatsOptions;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * What the listener records and where it sends it.
 *
 * @param kinds arrays summarised: activations, gradients, parameters, updates (empty = logging off)
 * @param every log every N-th iteration
 * @param stats histogram bins, per-neuron vectors, sample, near-zero threshold
 * @param histogramKinds kinds that get histograms (default activations and gradients: parameters and updates
 *     of large weight matrices cost the most and are read least)
 * @param kafka delivery settings
 * @param copyBufferBytes native memory per executor JVM for array copies whose statistics the publishing thread
 *     computes off the training thread (0 = compute on the training thread; {@link ListenerConfig#AUTO_COPY_BUFFER}
 *     = the default buffer where the JVM has a core its training threads leave idle, else 0)
 */
public record LoggingSpec(Set<Kind> kinds, int every, StatsOptions stats, Set<Kind> histogramKinds, KafkaSettings kafka,
    long copyBufferBytes) {

  static final List<String> KIND_NAMES = List.of("activations", "gradients", "parameters", "updates");
  /** Producer properties the trainer owns: snapshots are bytes, and duplicates must not appear on retries. */
  static final Set<String> RESERVED = Set.of(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
      ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
      ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, ProducerConfig.MAX_BLOCK_MS_CONFIG,
      ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG);

  public LoggingSpec {
    kinds = kinds.isEmpty() ? EnumSet.noneOf(Kind.class) : EnumSet.copyOf(kinds);
    histogramKinds = histogramKinds.isEmpty() ? EnumSet.noneOf(Kind.class) : EnumSet.copyOf(histogramKinds);
  }

  static LoggingSpec read(SpecNode n) {
    boolean enabled = n.bool("enabled", true);
    Set<Kind> kinds = kinds(n, "kinds", KIND_NAMES);
    Set<Kind> histogramKinds = kinds(n, "histogram-kinds", List.of("activations", "gradients"));
    if (!enabled) {
      kinds.clear();
    }
    int every = n.integer("every", 10, 1, Integer.MAX_VALUE);
    int bins = n.integer("histogram-bins", 20, 0, 10_000);
    boolean neurons = n.bool("neurons", true);
    SpecNode sample = n.object("sample");
    int sampleExamples = sample.integer("examples", 0, 0, 1 << 20);
    int sampleMax = sample.integer("max-values", 4096, 1, 1 << 22);
    sample.done();
    double nearZero = n.number("near-zero-threshold", 1e-6, 0, 1e6);
    // "auto" (the default): copies only where the JVM's training threads leave a core for the publishing thread
    String copies = n.string("copy-buffer-mb", "auto").trim();
    boolean autoCopies = copies.equalsIgnoreCase("auto");
    long copyBufferMb = -1;
    if (!autoCopies) {
      try {
        copyBufferMb = Long.parseLong(copies);
      } catch (NumberFormatException e) {
        copyBufferMb = -1;
      }
      if (copyBufferMb < 0 || copyBufferMb > 1L << 20) {
        throw n.invalidKey("copy-buffer-mb", "expected auto or a whole number of MiB from 0 to " + (1L << 20) + ", got "
            + copies);
      }
    }
    SpecNode k = n.object("kafka");
    String servers = k.string("bootstrap-servers", "localhost:9092");
    String topic = k.string("topic", KafkaSettings.DEFAULT_TOPIC);
    if (!topic.matches("[A-Za-z0-9._-]{1,249}")) {
      throw k.invalidKey("topic", "'" + topic + "' is not a valid Kafka topic name (letters, digits, '.', '_', '-')");
    }
    long maxBlock = k.integer("max-block-ms", 2_000L, 0, 600_000);
    long deliveryTimeout = k.integer("delivery-timeout-ms", 15_000L, 1_000, 3_600_000);
    String spillDir = k.string("spill-dir",
        Path.of(System.getProperty("java.io.tmpdir"), "activation-monkey-spill").toString());
    long spillMaxMb = k.integer("spill-max-mb", 1024L, 0, 1L << 30);
    long finalDrain = k.integer("final-drain-timeout-ms", 60_000L, 0, 86_400_000);
    Map<String, String> properties = k.stringMap("properties");
    for (String key : properties.keySet()) {
      if (RESERVED.contains(key)) {
        throw k.invalid(k.path() + ".properties." + key,
            "set by the trainer; use the trainer's own key instead (bootstrap-servers, max-block-ms, delivery-timeout-ms)"
                + " or leave it out (serializers are bytes, idempotence is always on)");
      }
    }
    k.done();
    n.done();
    return new LoggingSpec(kinds, every, new StatsOptions(bins, neurons, sampleExamples, sampleMax, nearZero),
        histogramKinds, new KafkaSettings(servers, topic, maxBlock, deliveryTimeout, spillDir, spillMaxMb << 20, finalDrain,
            properties), autoCopies ? ListenerConfig.AUTO_COPY_BUFFER : copyBufferMb << 20);
  }

  private static Set<Kind> kinds(SpecNode n, String key, List<String> defaults) {
    Set<Kind> kinds = EnumSet.noneOf(Kind.class);
    for (String name : n.strings(key, defaults)) {
      int index = KIND_NAMES.indexOf(name.toLowerCase(Locale.ROOT));
      if (index < 0) {
        throw n.invalidKey(key, "unknown kind '" + name + "'; allowed: " + String.join(", ", KIND_NAMES));
      }
      kinds.add(Kind.values()[index]);
    }
    return kinds;
  }

  /** True for a producer property the trainer sets itself (serializers, idempotence, servers, timeouts). */
  public static boolean isReserved(String property) {
    return RESERVED.contains(property);
  }

  /** Every key at its default, as an empty {@code logging} section reads (the library's starting point). */
  public static LoggingSpec defaults() {
    return read(new SpecNode(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(), "logging",
        "defaults"));
  }

  public LoggingSpec withKafka(KafkaSettings newKafka) {
    return new LoggingSpec(kinds, every, stats, histogramKinds, newKafka, copyBufferBytes);
  }
}
