package dev.activationmonkey.collector;

import java.nio.ByteBuffer;
import java.util.Optional;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;

/**
 * Creates the Kafka clients one collector uses. {@link ConfiguredKafkaClients} builds the real ones from the
 * collector's configuration; tests pass Kafka's {@code MockConsumer} and {@code MockProducer} and a fake
 * {@link ClusterAdmin}, so the collector runs without a broker.
 *
 * <p>The collector calls each method once, in this order: {@link #admin()} (and checks the brokers with it),
 * {@link #consumer()}, {@link #deadLetterProducer()}. It closes what they return.
 */
interface KafkaClients {
  /** The admin operations: the broker check at start, dead-letter topics, end and committed offsets. */
  ClusterAdmin admin();

  /**
   * The group's consumer, with automatic offset commits off; values as the fetched buffers (no copy).
   * The collector subscribes it and commits its offsets itself. {@code groupInstanceId}: its static membership id
   * ({@code group.instance.id}), empty for dynamic membership.
   */
  Consumer<byte[], ByteBuffer> consumer(Optional<String> groupInstanceId);

  /** The producer of dead letters; sends must be acknowledged by all in-sync replicas. */
  Producer<byte[], byte[]> deadLetterProducer();
}
