package dev.activationmonkey.collector;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;

/**
 * The real clients, from a {@link CollectorConfig}: its bootstrap servers and group, the collector's own
 * defaults, and the {@code kafka.*} properties that apply to each kind of client.
 */
final class ConfiguredKafkaClients implements KafkaClients {
  private final CollectorConfig config;

  ConfiguredKafkaClients(CollectorConfig config) {
    this.config = requireNonNull(config, "config is null");
  }

  @Override
  public ClusterAdmin admin() {
    return new KafkaClusterAdmin(Admin.create(clientProperties(AdminClientConfig.configNames(), "admin")), config);
  }

  @Override
  public Consumer<byte[], ByteBuffer> consumer(Optional<String> groupInstanceId) {
    Properties properties = clientProperties(ConsumerConfig.configNames(), "consumer");
    properties.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    groupInstanceId.ifPresent(id -> properties.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id));
    properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    properties.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    properties.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    // Larger fetches: fewer round trips, and polls big enough to split across the decode threads.
    properties.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(4 << 20));
    properties.putIfAbsent(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, String.valueOf(64 * 1024));
    properties.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
    // Values as the fetched buffer itself (Kafka's ByteBufferDeserializer returns it, no copy): the decoder
    // reads a snapshot in place instead of from a per-record byte[] copy (~1 KB of garbage per record).
    return new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteBufferDeserializer());
  }

  @Override
  public Producer<byte[], byte[]> deadLetterProducer() {
    Properties properties = clientProperties(ProducerConfig.configNames(), "dlq");
    properties.put(ProducerConfig.ACKS_CONFIG, "all");
    properties.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
    return new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** The {@code kafka.*} properties this kind of client knows (the rest belong to another kind). */
  private Properties clientProperties(Set<String> known, String role) {
    Properties properties = new Properties();
    properties.put("bootstrap.servers", config.bootstrapServers());
    properties.put("client.id", "monkey-collector-" + role + "-" + UUID.randomUUID().toString().substring(0, 8));
    config.kafkaProperties().forEach((k, v) -> {
      if (known.contains(k)) {
        properties.put(k, v);
      }
    });
    return properties;
  }
}
