package dev.activationmonkey.collector;

import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** What the collector asks of the cluster besides consuming: a small seam in front of Kafka's {@code Admin}. */
interface ClusterAdmin extends AutoCloseable {
  /**
   * Returns once a broker answers.
   *
   * @throws dev.activationmonkey.errors.ServiceUnavailableException if none does within the startup timeout
   */
  void checkBrokers();

  /** Creates missing dead-letter topics; failures are logged, not thrown (auto-creation may still work). */
  void ensureDeadLetterTopics();

  /** The end offsets of every partition of the collected topics. */
  Map<TopicPartition, Long> endOffsets() throws InterruptedException;

  /** The offsets the collector's consumer group has committed. */
  Map<TopicPartition, OffsetAndMetadata> committedOffsets() throws InterruptedException;

  @Override
  void close();
}
