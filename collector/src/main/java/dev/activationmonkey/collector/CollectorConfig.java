package dev.activationmonkey.collector;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.snapshot.Topics;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.utils.AppInfoParser;

/**
 * The collector's configuration: immutable and validated when built, with the offending key in every
 * message. Each key is defined once, with its type, default, check and documentation ({@link #keys()}): the
 * defaults, the validation and the {@code monkey collect} help come from there. Unknown keys, {@code kafka.*}
 * properties included, are rejected. A file ({@code .properties}, or {@code .yaml}/{@code .yml}
 * with flat or nested keys) and command-line flags set the same keys.
 *
 * <pre>{@code
 * CollectorConfig config = CollectorConfig.builder()
 *     .bootstrapServers("broker:9092")
 *     .datasetRoot("s3a://telemetry/monkey")
 *     .set("kafka.security.protocol", "SSL")
 *     .build();
 * }</pre>
 */
public final class CollectorConfig {
  // Key names. Each key's type, default, check and documentation are in KEYS below, stated once.
  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String TOPICS = "topics";
  public static final String GROUP_ID = "group.id";
  public static final String GROUP_INSTANCE_ID = "group.instance.id";
  public static final String DATASET_ROOT = "dataset.root";
  public static final String ROTATE_RECORDS = "rotate.records";
  public static final String ROTATE_BYTES = "rotate.bytes";
  public static final String FLUSH_IDLE_MS = "flush.idle.ms";
  public static final String FLUSH_MAX_AGE_MS = "flush.max.age.ms";
  public static final String MAX_OPEN_FILES = "max.open.files";
  public static final String BUFFER_MEMORY_BYTES = "buffer.memory.bytes";
  public static final String BUFFER_POOL_BYTES = "buffer.pool.bytes";
  public static final String ROW_GROUP_BYTES = "parquet.row.group.bytes";
  public static final String ZSTD_LEVEL = "parquet.zstd.level";
  public static final String DEAD_LETTER_TOPIC = "dead.letter.topic";
  public static final String STATUS_INTERVAL_MS = "status.interval.ms";
  public static final String STARTUP_TIMEOUT_MS = "startup.timeout.ms";
  public static final String DECODE_THREADS = "decode.threads";
  /** Prefix of Kafka client properties passed through (kafka.security.protocol, kafka.sasl.jaas.config, ...). */
  public static final String KAFKA_PREFIX = "kafka.";
  /** Prefix of Hadoop properties passed through (hadoop.fs.s3a.endpoint, ...). */
  public static final String HADOOP_PREFIX = "hadoop.";

  /** Kafka client properties the collector sets itself. */
  private static final List<String> MANAGED_KAFKA_PROPERTIES =
      List.of("enable.auto.commit", "key.deserializer", "value.deserializer", "group.id", "group.instance.id", "bootstrap.servers");

  /**
   * One configuration key, stated once: its name, the type of its value, its default (null: required), the
   * default as the help shows it, what it does, and how its value is parsed and checked (the message names the key).
   */
  public record Key(String name, String type, String defaultValue, String shownDefault, String doc, Parser parser) {
    public Key {
      requireNonNull(name, "name is null");
      requireNonNull(type, "type is null");
      requireNonNull(doc, "doc is null");
      requireNonNull(parser, "parser is null");
    }

    /** One line of help: {@code name (type, default: value)  doc}. */
    public String help() {
      return name + " (" + type + (shownDefault == null ? ", required" : ", default: " + shownDefault) + ")  " + doc;
    }
  }

  /** Parses and checks a key's value; throws {@link InvalidInputException} naming the key. */
  @FunctionalInterface
  public interface Parser {
    Object parse(String key, String value);
  }

  private static Key key(String name, String type, String defaultValue, String doc, Parser parser) {
    return new Key(name, type, defaultValue, defaultValue, doc, parser);
  }

  private static final List<Key> KEYS = List.of(
      new Key(BOOTSTRAP_SERVERS, "host:port[,...]", null, null, "Kafka brokers.", (k, v) -> {
        if (v == null || v.isBlank()) {
          throw new InvalidInputException(k + " is required (host:port of a Kafka broker, e.g. --bootstrap-servers localhost:9092)");
        }
        return v;
      }),
      key(TOPICS, "list", Topics.DEFAULT_SNAPSHOT_TOPIC, "Topics to consume, comma-separated.", CollectorConfig::topicList),
      key(GROUP_ID, "string", "monkey-collector", "Kafka consumer group; collectors sharing it share the topics' partitions.",
          CollectorConfig::nonBlank),
      key(GROUP_INSTANCE_ID, "auto|none|id", GroupInstance.AUTO,
          "Static group membership: a restarted collector takes its partitions back at once (not after the session timeout). "
              + "auto: collector-<host>-<n>, n the lowest number no running collector of the group on this machine holds; "
              + "none: dynamic membership; otherwise the id. Every collector of a group needs its own.",
          CollectorConfig::nonBlank),
      key(DATASET_ROOT, "path|URI", "monkey-data",
          "Where the dataset lives: a local path, or an hdfs://, s3a://, file:// URI (Hadoop FileSystem).", CollectorConfig::nonBlank),
      key(ROTATE_RECORDS, "long", "1000000", "A topic-partition's batch is committed (made visible) after this many records...",
          positive("")),
      key(ROTATE_BYTES, "bytes", String.valueOf(128L << 20), "...or when its files hold this many bytes (Parquet data size, compressed)...",
          positive("")),
      key(FLUSH_IDLE_MS, "ms", "10000",
          "...or when no record arrived for it for this long: the last snapshots of a quiet run become visible...", milliseconds()),
      key(FLUSH_MAX_AGE_MS, "ms", "300000", "...or when its oldest uncommitted record is this old, however steadily records arrive.",
          milliseconds()),
      key(MAX_OPEN_FILES, "int", "64",
          "Most Parquet files open at once (one per table, run and kind per partition); least recently used committed first.",
          (k, v) -> (int) Math.min(Integer.MAX_VALUE, (Long) positive("").parse(k, v))),
      key(BUFFER_MEMORY_BYTES, "bytes", String.valueOf(256L << 20),
          "Bound on the bytes buffered in open files; above it the largest batch is committed early.", positive("")),
      // Idle arrays, on top of buffer.memory.bytes; reusing them is what keeps the writer's garbage, and G1's humongous
      // allocations, low.
      key(BUFFER_POOL_BYTES, "bytes", String.valueOf(160L << 20),
          "Bound on the column buffers that closed files leave for new ones to reuse (0: no reuse).", (k, v) ->
              v.trim().equals("0") ? 0L : positive(" (or 0: no reuse)").parse(k, v)),
      key(ROW_GROUP_BYTES, "bytes", String.valueOf(64L << 20), "Parquet row group size.", positive("")),
      key(ZSTD_LEVEL, "int", "3", "ZSTD compression level (1-22).", (k, v) -> {
        long level = (Long) positive("").parse(k, v);
        if (level > 22) {
          throw new InvalidInputException(k + " must be between 1 and 22, got " + level);
        }
        return (int) level;
      }),
      new Key(DEAD_LETTER_TOPIC, "topic", "", "<topic>.dlq", "Dead-letter topic for records that cannot be written.",
          (k, v) -> v.trim()),
      key(STATUS_INTERVAL_MS, "ms", "10000", "How often the status line is reported.", milliseconds()),
      key(STARTUP_TIMEOUT_MS, "ms", "30000", "How long to wait for the brokers at start before giving up (exit code 4).",
          milliseconds()),
      new Key(DECODE_THREADS, "int", String.valueOf(Math.min(3, Math.max(1, Runtime.getRuntime().availableProcessors() - 1))),
          "cores - 1, from 1 to 3", "Threads that decode records in parallel with the Parquet writing; 0 decodes on the writer thread.",
          (k, v) -> {
            String threads = v.trim();
            if (!threads.matches("\\d{1,2}")) {
              throw new InvalidInputException(k + " must be a whole number from 0 to 99, got '" + threads + "'");
            }
            return Integer.parseInt(threads);
          }));

  private static final Map<String, Key> KEYS_BY_NAME = new LinkedHashMap<>();
  private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

  static {
    for (Key key : KEYS) {
      KEYS_BY_NAME.put(key.name(), key);
      if (key.defaultValue() != null) {
        DEFAULTS.put(key.name(), key.defaultValue());
      }
    }
  }

  private final Map<String, Object> parsed = new LinkedHashMap<>();
  private final List<String> topics;
  private final String deadLetterTopic;
  private final Map<String, String> kafkaProperties;
  private final Map<String, String> hadoopProperties;
  private final Map<String, String> values;

  @SuppressWarnings("unchecked")
  private CollectorConfig(Map<String, String> v) {
    this.values = Map.copyOf(v);
    for (Key key : KEYS) {
      parsed.put(key.name(), key.parser().parse(key.name(), v.get(key.name())));
    }
    this.topics = (List<String>) parsed.get(TOPICS);
    this.deadLetterTopic = (String) parsed.get(DEAD_LETTER_TOPIC);
    if (!deadLetterTopic.isEmpty() && topics.contains(deadLetterTopic)) {
      throw new InvalidInputException(DEAD_LETTER_TOPIC + " '" + deadLetterTopic + "' is also one of " + TOPICS
          + ": dead letters would be consumed again. Choose another topic.");
    }
    Map<String, String> kafka = new TreeMap<>();
    Map<String, String> hadoop = new TreeMap<>();
    for (Map.Entry<String, String> e : v.entrySet()) {
      if (e.getKey().startsWith(KAFKA_PREFIX)) {
        kafka.put(e.getKey().substring(KAFKA_PREFIX.length()), e.getValue());
      } else if (e.getKey().startsWith(HADOOP_PREFIX)) {
        hadoop.put(e.getKey().substring(HADOOP_PREFIX.length()), e.getValue());
      } else if (!KEYS_BY_NAME.containsKey(e.getKey())) {
        throw new InvalidInputException("unknown configuration key '" + e.getKey() + "'. Known keys: "
            + String.join(", ", KEYS_BY_NAME.keySet()) + ", and the prefixes " + KAFKA_PREFIX + "* and " + HADOOP_PREFIX + "*");
      }
    }
    for (String managed : MANAGED_KAFKA_PROPERTIES) {
      if (kafka.containsKey(managed)) {
        throw new InvalidInputException(KAFKA_PREFIX + managed + " cannot be set: the collector manages it"
            + (managed.equals("group.id") || managed.equals("group.instance.id") || managed.equals("bootstrap.servers") ? " (use " + managed + ")" : ""));
      }
    }
    Set<String> knownKafka = knownKafkaProperties();
    for (String property : kafka.keySet()) {
      if (!knownKafka.contains(property)) {
        throw new InvalidInputException("unknown Kafka client property '" + KAFKA_PREFIX + property + "' (not a consumer, producer or"
            + " admin client property of Kafka " + AppInfoParser.getVersion() + "). Known: " + KAFKA_PREFIX + "{"
            + String.join(", ", knownKafka) + "}");
      }
    }
    this.kafkaProperties = Map.copyOf(kafka);
    this.hadoopProperties = Map.copyOf(hadoop);
  }

  /** Every {@code kafka.*} property the collector passes on: the Kafka clients' own, less those it manages. */
  static Set<String> knownKafkaProperties() {
    Set<String> known = new TreeSet<>();
    known.addAll(ConsumerConfig.configNames());
    known.addAll(ProducerConfig.configNames());
    known.addAll(AdminClientConfig.configNames());
    known.removeAll(MANAGED_KAFKA_PROPERTIES);
    return known;
  }

  /** Every key, in the order of the documentation. */
  public static List<Key> keys() {
    return KEYS;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The documented default of every key that has one. */
  public static Map<String, String> defaults() {
    return Map.copyOf(DEFAULTS);
  }

  public String bootstrapServers() {
    return (String) parsed.get(BOOTSTRAP_SERVERS);
  }

  public List<String> topics() {
    return topics;
  }

  public String groupId() {
    return (String) parsed.get(GROUP_ID);
  }

  /** {@code auto}, {@code none} or the static member id ({@link GroupInstance}). */
  public String groupInstanceId() {
    return (String) parsed.get(GROUP_INSTANCE_ID);
  }

  public String datasetRoot() {
    return (String) parsed.get(DATASET_ROOT);
  }

  public long rotateRecords() {
    return (Long) parsed.get(ROTATE_RECORDS);
  }

  public long rotateBytes() {
    return (Long) parsed.get(ROTATE_BYTES);
  }

  public Duration flushIdle() {
    return (Duration) parsed.get(FLUSH_IDLE_MS);
  }

  public Duration flushMaxAge() {
    return (Duration) parsed.get(FLUSH_MAX_AGE_MS);
  }

  public int maxOpenFiles() {
    return (Integer) parsed.get(MAX_OPEN_FILES);
  }

  public long bufferMemoryBytes() {
    return (Long) parsed.get(BUFFER_MEMORY_BYTES);
  }

  public long bufferPoolBytes() {
    return (Long) parsed.get(BUFFER_POOL_BYTES);
  }

  public long rowGroupBytes() {
    return (Long) parsed.get(ROW_GROUP_BYTES);
  }

  public int zstdLevel() {
    return (Integer) parsed.get(ZSTD_LEVEL);
  }

  /** The dead-letter topic for records read from {@code sourceTopic}. */
  public String deadLetterTopic(String sourceTopic) {
    return deadLetterTopic.isEmpty() ? sourceTopic + ".dlq" : deadLetterTopic;
  }

  public Duration statusInterval() {
    return (Duration) parsed.get(STATUS_INTERVAL_MS);
  }

  public Duration startupTimeout() {
    return (Duration) parsed.get(STARTUP_TIMEOUT_MS);
  }

  public int decodeThreads() {
    return (Integer) parsed.get(DECODE_THREADS);
  }

  /** Kafka client properties given with the {@code kafka.} prefix, prefix removed. */
  public Map<String, String> kafkaProperties() {
    return kafkaProperties;
  }

  /** Hadoop properties given with the {@code hadoop.} prefix, prefix removed. */
  public Map<String, String> hadoopProperties() {
    return hadoopProperties;
  }

  /** Every key's effective value. */
  public Map<String, String> values() {
    return new TreeMap<>(values);
  }

  @Override
  public String toString() {
    Map<String, String> shown = new TreeMap<>(values);
    // Never print secrets (sasl.jaas.config, ssl.*.password, s3a secret keys).
    shown.replaceAll((k, val) -> k.contains("password") || k.contains("jaas") || k.contains("secret") ? "[hidden]" : val);
    return "CollectorConfig" + shown;
  }

  private static String nonBlank(String key, String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidInputException(key + " must not be empty");
    }
    return value.trim();
  }

  private static List<String> topicList(String key, String value) {
    List<String> topics = Arrays.stream(value.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
    if (topics.isEmpty()) {
      throw new InvalidInputException(key + " must name at least one topic");
    }
    for (String topic : topics) {
      if (!topic.matches("[a-zA-Z0-9._-]{1,249}")) {
        throw new InvalidInputException(key + ": '" + topic + "' is not a legal Kafka topic name (letters, digits, '.', '_', '-')");
      }
    }
    return topics;
  }

  /** A positive whole number ({@code _} allowed as a separator); {@code alternative} is added to the message. */
  private static Parser positive(String alternative) {
    return (key, value) -> {
      long parsed;
      try {
        parsed = Long.parseLong(value.trim().replace("_", ""));
      } catch (NumberFormatException e) {
        throw new InvalidInputException(key + " must be a whole number, got '" + value + "'");
      }
      if (parsed <= 0) {
        throw new InvalidInputException(key + " must be positive" + alternative + ", got " + parsed);
      }
      return parsed;
    };
  }

  private static Parser milliseconds() {
    return (key, value) -> Duration.ofMillis((Long) positive("").parse(key, value));
  }

  /** Builds a {@link CollectorConfig}; later settings override earlier ones (file, then flags). */
  public static final class Builder {
    private final Map<String, String> values = new LinkedHashMap<>(DEFAULTS);

    private Builder() {}

    /** Sets any key, including {@code kafka.*} and {@code hadoop.*} pass-through properties. */
    public Builder set(String key, String value) {
      requireNonNull(key, "key is null");
      requireNonNull(value, "value of " + key + " is null");
      values.put(key.trim(), value.trim());
      return this;
    }

    public Builder setAll(Map<String, String> settings) {
      settings.forEach(this::set);
      return this;
    }

    /**
     * Reads a configuration file: Java properties, or YAML (by extension .yaml/.yml) whose nested maps
     * become dotted keys ({@code kafka: {security.protocol: SSL}} is {@code kafka.security.protocol}).
     */
    public Builder file(Path file) {
      return setAll(readFile(file));
    }

    public Builder bootstrapServers(String servers) {
      return set(BOOTSTRAP_SERVERS, servers);
    }

    public Builder topics(String... topics) {
      return set(TOPICS, String.join(",", topics));
    }

    public Builder groupId(String groupId) {
      return set(GROUP_ID, groupId);
    }

    public Builder groupInstanceId(String id) {
      return set(GROUP_INSTANCE_ID, id);
    }

    public Builder datasetRoot(String root) {
      return set(DATASET_ROOT, root);
    }

    public Builder rotateRecords(long records) {
      return set(ROTATE_RECORDS, String.valueOf(records));
    }

    public Builder rotateBytes(long bytes) {
      return set(ROTATE_BYTES, String.valueOf(bytes));
    }

    public Builder flushIdle(Duration idle) {
      return set(FLUSH_IDLE_MS, String.valueOf(idle.toMillis()));
    }

    public Builder flushMaxAge(Duration age) {
      return set(FLUSH_MAX_AGE_MS, String.valueOf(age.toMillis()));
    }

    public Builder maxOpenFiles(int files) {
      return set(MAX_OPEN_FILES, String.valueOf(files));
    }

    public Builder bufferMemoryBytes(long bytes) {
      return set(BUFFER_MEMORY_BYTES, String.valueOf(bytes));
    }

    public Builder deadLetterTopic(String topic) {
      return set(DEAD_LETTER_TOPIC, topic);
    }

    public Builder statusInterval(Duration interval) {
      return set(STATUS_INTERVAL_MS, String.valueOf(interval.toMillis()));
    }

    public Builder bufferPoolBytes(long bytes) {
      return set(BUFFER_POOL_BYTES, String.valueOf(bytes));
    }

    public Builder rowGroupBytes(long bytes) {
      return set(ROW_GROUP_BYTES, String.valueOf(bytes));
    }

    public Builder zstdLevel(int level) {
      return set(ZSTD_LEVEL, String.valueOf(level));
    }

    public Builder startupTimeout(Duration timeout) {
      return set(STARTUP_TIMEOUT_MS, String.valueOf(timeout.toMillis()));
    }

    public Builder decodeThreads(int threads) {
      return set(DECODE_THREADS, String.valueOf(threads));
    }

    public CollectorConfig build() {
      return new CollectorConfig(values);
    }
  }

  static Map<String, String> readFile(Path file) {
    String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    Map<String, String> result = new LinkedHashMap<>();
    try (Reader reader = Files.newBufferedReader(file)) {
      if (name.endsWith(".yaml") || name.endsWith(".yml")) {
        JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(reader);
        if (root != null && !root.isMissingNode() && !root.isNull()) {
          if (!root.isObject()) {
            throw new InvalidInputException(file + ": expected a map of configuration keys at the top level");
          }
          flatten("", root, result, file);
        }
      } else {
        Properties properties = new Properties();
        properties.load(reader);
        properties.stringPropertyNames().forEach(k -> result.put(k, properties.getProperty(k)));
      }
    } catch (java.nio.file.NoSuchFileException e) {
      throw new InvalidInputException("configuration file " + file + " does not exist");
    } catch (IOException e) {
      throw new InvalidInputException("cannot read configuration file " + file + ": " + e.getMessage(), e);
    }
    return result;
  }

  private static void flatten(String prefix, JsonNode node, Map<String, String> out, Path file) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = prefix + e.getKey();
      JsonNode value = e.getValue();
      if (value.isObject()) {
        flatten(key + ".", value, out, file);
      } else if (value.isArray()) {
        List<String> items = new java.util.ArrayList<>();
        value.forEach(item -> items.add(item.asText()));
        out.put(key, String.join(",", items));
      } else if (value.isNull()) {
        throw new InvalidInputException(file + ": key '" + key + "' has no value");
      } else {
        out.put(key, value.asText());
      }
    }
  }
}
