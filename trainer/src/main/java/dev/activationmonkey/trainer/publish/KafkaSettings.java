package dev.activationmonkey.trainer.publish;

import static java.util.Objects.requireNonNull;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where and how snapshots are delivered. Serializable: it travels to the executors inside the listener.
 *
 * @param bootstrapServers Kafka bootstrap servers, {@code host:port[,host:port]}
 * @param topic the snapshot topic
 * @param maxBlockMillis the longest a training thread may wait in {@code send()} (metadata, full buffer)
 * @param deliveryTimeoutMillis how long the producer retries a record before it is spilled to disk
 * @param spillDirectory local directory for undeliverable records (one subdirectory per topic)
 * @param spillMaxBytes cap on the spill directory's size per executor; records beyond it are dropped
 * @param finalDrainMillis how long the end of a run waits for the broker to re-send spilled records
 * @param properties Kafka producer properties passed through unchanged (security.protocol, sasl.*, ssl.*, ...)
 */
public record KafkaSettings(
    String bootstrapServers,
    String topic,
    long maxBlockMillis,
    long deliveryTimeoutMillis,
    String spillDirectory,
    long spillMaxBytes,
    long finalDrainMillis,
    Map<String, String> properties) implements Serializable {

  public static final String DEFAULT_TOPIC = dev.activationmonkey.snapshot.Topics.DEFAULT_SNAPSHOT_TOPIC;

  public KafkaSettings {
    requireNonNull(bootstrapServers, "bootstrapServers is null");
    requireNonNull(topic, "topic is null");
    requireNonNull(spillDirectory, "spillDirectory is null");
    properties = properties == null ? Map.of() : new TreeMap<>(properties);
  }

  public KafkaSettings withBootstrapServers(String servers) {
    return new KafkaSettings(servers, topic, maxBlockMillis, deliveryTimeoutMillis, spillDirectory, spillMaxBytes,
        finalDrainMillis, properties);
  }

  public KafkaSettings withTopic(String newTopic) {
    return new KafkaSettings(bootstrapServers, newTopic, maxBlockMillis, deliveryTimeoutMillis, spillDirectory,
        spillMaxBytes, finalDrainMillis, properties);
  }

  public KafkaSettings withSpillDirectory(String directory) {
    return new KafkaSettings(bootstrapServers, topic, maxBlockMillis, deliveryTimeoutMillis, directory,
        spillMaxBytes, finalDrainMillis, properties);
  }
}
