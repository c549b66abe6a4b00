package dev.activationmonkey.collector;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.activationmonkey.errors.InvalidInputException;
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
import java.util.TreeMap;

/**
 * The collector's configuration: immutable and validated when built, with the offending key in every
 * message. Keys are the constants below; a file ({@code .properties}, or {@code .yaml}/{@code .yml}
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
  /** Kafka brokers, host:port[,host:port]. Required. */
  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  /** Topics to consume, comma-separated. */
  public static final String TOPICS = "topics";
  /** Kafka consumer group; collectors sharing it share the topics' partitions. */
  public static final String GROUP_ID = "group.id";
  /** Where the dataset lives: a local path, or an hdfs://, s3a://, file:// URI (Hadoop FileSystem). */
  public static final String DATASET_ROOT = "dataset.root";
  /** A topic-partition's batch is committed (made visible) after this many records. */
  public static final String ROTATE_RECORDS = "rotate.records";
  /** ...or when its files hold this many bytes (Parquet data size, compressed). */
  public static final String ROTATE_BYTES = "rotate.bytes";
  /** ...or when no record arrived for it for this long: the last snapshots of a quiet run become visible. */
  public static final String FLUSH_IDLE_MS = "flush.idle.ms";
  /** ...or when its oldest uncommitted record is this old, however steadily records arrive. */
  public static final String FLUSH_MAX_AGE_MS = "flush.max.age.ms";
  /** Most Parquet files open at once (one per table, run and kind per partition); least recently used committed first. */
  public static final String MAX_OPEN_FILES = "max.open.files";
  /** Bound on the bytes buffered in open files; above it the largest batch is committed early. */
  public static final String BUFFER_MEMORY_BYTES = "buffer.memory.bytes";
  /**
   * Bound on the column buffers that closed files leave for new ones to reuse (0: no reuse). Idle arrays, on top of
   * {@code buffer.memory.bytes}; reusing them is what keeps the writer's garbage, and G1's humongous allocations, low.
   */
  public static final String BUFFER_POOL_BYTES = "buffer.pool.bytes";
  /** Parquet row group size in bytes. */
  public static final String ROW_GROUP_BYTES = "parquet.row.group.bytes";
  /** ZSTD compression level (1-22). */
  public static final String ZSTD_LEVEL = "parquet.zstd.level";
  /** Dead-letter topic for records that cannot be written; empty means {@code <topic>.dlq}. */
  public static final String DEAD_LETTER_TOPIC = "dead.letter.topic";
  /** How often the status line is reported. */
  public static final String STATUS_INTERVAL_MS = "status.interval.ms";
  /** How long to wait for the brokers at start before giving up (exit code 4). */
  public static final String STARTUP_TIMEOUT_MS = "startup.timeout.ms";
  /** Threads that decode records in parallel with the Parquet writing; 0 decodes on the consumer thread. */
  public static final String DECODE_THREADS = "decode.threads";
  /** Prefix of Kafka client properties passed through (kafka.security.protocol, kafka.sasl.jaas.config, ...). */
  public static final String KAFKA_PREFIX = "kafka.";
  /** Prefix of Hadoop properties passed through (hadoop.fs.s3a.endpoint, ...). */
  public static final String HADOOP_PREFIX = "hadoop.";

  private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

  static {
    DEFAULTS.put(TOPICS, "monkey.snapshots");
    DEFAULTS.put(GROUP_ID, "monkey-collector");
    DEFAULTS.put(DATASET_ROOT, "monkey-data");
    DEFAULTS.put(ROTATE_RECORDS, "1000000");
    DEFAULTS.put(ROTATE_BYTES, String.valueOf(128L << 20));
    DEFAULTS.put(FLUSH_IDLE_MS, "10000");
    DEFAULTS.put(FLUSH_MAX_AGE_MS, "300000");
    DEFAULTS.put(MAX_OPEN_FILES, "64");
    DEFAULTS.put(BUFFER_MEMORY_BYTES, String.valueOf(256L << 20));
    DEFAULTS.put(BUFFER_POOL_BYTES, String.valueOf(160L << 20));
    DEFAULTS.put(ROW_GROUP_BYTES, String.valueOf(64L << 20));
    DEFAULTS.put(ZSTD_LEVEL, "3");
    DEFAULTS.put(DEAD_LETTER_TOPIC, "");
    DEFAULTS.put(STATUS_INTERVAL_MS, "10000");
    DEFAULTS.put(STARTUP_TIMEOUT_MS, "30000");
    DEFAULTS.put(DECODE_THREADS, String.valueOf(Math.min(3, Math.max(1, Runtime.getRuntime().availableProcessors() - 1))));
  }

  private final String bootstrapServers;
  private final List<String> topics;
  private final String groupId;
  private final String datasetRoot;
  private final long rotateRecords;
  private final long rotateBytes;
  private final Duration flushIdle;
  private final Duration flushMaxAge;
  private final int maxOpenFiles;
  private final long bufferMemoryBytes;
  private final long bufferPoolBytes;
  private final long rowGroupBytes;
  private final int zstdLevel;
  private final String deadLetterTopic;
  private final Duration statusInterval;
  private final Duration startupTimeout;
  private final int decodeThreads;
  private final Map<String, String> kafkaProperties;
  private final Map<String, String> hadoopProperties;
  private final Map<String, String> values;

  private CollectorConfig(Map<String, String> v) {
    this.values = Map.copyOf(v);
    this.bootstrapServers = v.get(BOOTSTRAP_SERVERS);
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new InvalidInputException(BOOTSTRAP_SERVERS + " is required (host:port of a Kafka broker, e.g. --bootstrap-servers localhost:9092)");
    }
    this.topics = Arrays.stream(v.get(TOPICS).split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
    if (topics.isEmpty()) {
      throw new InvalidInputException(TOPICS + " must name at least one topic");
    }
    for (String topic : topics) {
      if (!topic.matches("[a-zA-Z0-9._-]{1,249}")) {
        throw new InvalidInputException(TOPICS + ": '" + topic + "' is not a legal Kafka topic name (letters, digits, '.', '_', '-')");
      }
    }
    this.groupId = nonBlank(v, GROUP_ID);
    this.datasetRoot = nonBlank(v, DATASET_ROOT);
    this.rotateRecords = positiveLong(v, ROTATE_RECORDS);
    this.rotateBytes = positiveLong(v, ROTATE_BYTES);
    this.flushIdle = Duration.ofMillis(positiveLong(v, FLUSH_IDLE_MS));
    this.flushMaxAge = Duration.ofMillis(positiveLong(v, FLUSH_MAX_AGE_MS));
    this.maxOpenFiles = (int) Math.min(Integer.MAX_VALUE, positiveLong(v, MAX_OPEN_FILES));
    this.bufferMemoryBytes = positiveLong(v, BUFFER_MEMORY_BYTES);
    this.bufferPoolBytes = v.get(BUFFER_POOL_BYTES).trim().equals("0") ? 0 : positiveLong(v, BUFFER_POOL_BYTES,
        " (or 0: no reuse)");
    this.rowGroupBytes = positiveLong(v, ROW_GROUP_BYTES);
    long level = positiveLong(v, ZSTD_LEVEL);
    if (level > 22) {
      throw new InvalidInputException(ZSTD_LEVEL + " must be between 1 and 22, got " + level);
    }
    this.zstdLevel = (int) level;
    this.deadLetterTopic = v.get(DEAD_LETTER_TOPIC).trim();
    if (!deadLetterTopic.isEmpty() && topics.contains(deadLetterTopic)) {
      throw new InvalidInputException(DEAD_LETTER_TOPIC + " '" + deadLetterTopic + "' is also one of " + TOPICS
          + ": dead letters would be consumed again. Choose another topic.");
    }
    this.statusInterval = Duration.ofMillis(positiveLong(v, STATUS_INTERVAL_MS));
    this.startupTimeout = Duration.ofMillis(positiveLong(v, STARTUP_TIMEOUT_MS));
    String threads = v.get(DECODE_THREADS).trim();
    if (!threads.matches("\\d{1,2}")) {
      throw new InvalidInputException(DECODE_THREADS + " must be a whole number from 0 to 99, got '" + threads + "'");
    }
    this.decodeThreads = Integer.parseInt(threads);
    Map<String, String> kafka = new TreeMap<>();
    Map<String, String> hadoop = new TreeMap<>();
    for (Map.Entry<String, String> e : v.entrySet()) {
      if (e.getKey().startsWith(KAFKA_PREFIX)) {
        kafka.put(e.getKey().substring(KAFKA_PREFIX.length()), e.getValue());
      } else if (e.getKey().startsWith(HADOOP_PREFIX)) {
        hadoop.put(e.getKey().substring(HADOOP_PREFIX.length()), e.getValue());
      } else if (!DEFAULTS.containsKey(e.getKey()) && !e.getKey().equals(BOOTSTRAP_SERVERS)) {
        throw new InvalidInputException("unknown configuration key '" + e.getKey() + "'. Known keys: " + BOOTSTRAP_SERVERS + ", "
            + String.join(", ", DEFAULTS.keySet()) + ", and the prefixes " + KAFKA_PREFIX + "* and " + HADOOP_PREFIX + "*");
      }
    }
    for (String managed : List.of("enable.auto.commit", "key.deserializer", "value.deserializer", "group.id", "bootstrap.servers")) {
      if (kafka.containsKey(managed)) {
        throw new InvalidInputException(KAFKA_PREFIX + managed + " cannot be set: the collector manages it"
            + (managed.equals("group.id") || managed.equals("bootstrap.servers") ? " (use " + managed + ")" : ""));
      }
    }
    this.kafkaProperties = Map.copyOf(kafka);
    this.hadoopProperties = Map.copyOf(hadoop);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The documented default of every key that has one. */
  public static Map<String, String> defaults() {
    return Map.copyOf(DEFAULTS);
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public List<String> topics() {
    return topics;
  }

  public String groupId() {
    return groupId;
  }

  public String datasetRoot() {
    return datasetRoot;
  }

  public long rotateRecords() {
    return rotateRecords;
  }

  public long rotateBytes() {
    return rotateBytes;
  }

  public Duration flushIdle() {
    return flushIdle;
  }

  public Duration flushMaxAge() {
    return flushMaxAge;
  }

  public int maxOpenFiles() {
    return maxOpenFiles;
  }

  public long bufferMemoryBytes() {
    return bufferMemoryBytes;
  }

  public long bufferPoolBytes() {
    return bufferPoolBytes;
  }

  public long rowGroupBytes() {
    return rowGroupBytes;
  }

  public int zstdLevel() {
    return zstdLevel;
  }

  /** The dead-letter topic for records read from {@code sourceTopic}. */
  public String deadLetterTopic(String sourceTopic) {
    return deadLetterTopic.isEmpty() ? sourceTopic + ".dlq" : deadLetterTopic;
  }

  public Duration statusInterval() {
    return statusInterval;
  }

  public Duration startupTimeout() {
    return startupTimeout;
  }

  public int decodeThreads() {
    return decodeThreads;
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

  private static String nonBlank(Map<String, String> v, String key) {
    String value = v.get(key);
    if (value == null || value.isBlank()) {
      throw new InvalidInputException(key + " must not be empty");
    }
    return value.trim();
  }

  private static long positiveLong(Map<String, String> v, String key) {
    return positiveLong(v, key, "");
  }

  private static long positiveLong(Map<String, String> v, String key, String alternative) {
    String value = v.get(key).trim().replace("_", "");
    long parsed;
    try {
      parsed = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new InvalidInputException(key + " must be a whole number, got '" + v.get(key) + "'");
    }
    if (parsed <= 0) {
      throw new InvalidInputException(key + " must be positive" + alternative + ", got " + parsed);
    }
    return parsed;
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
