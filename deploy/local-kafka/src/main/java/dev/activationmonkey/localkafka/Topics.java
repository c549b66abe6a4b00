package dev.activationmonkey.localkafka;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates topics that are ready to be written when the call returns.
 *
 * <p>A topic is not ready just because CreateTopics succeeded. The broker publishes a new partition's leader in its
 * metadata before its replica manager opens the partition. A produce request that arrives in between fails with a
 * retriable {@code NOT_LEADER_OR_FOLLOWER}. An idempotent producer with several requests in flight can then have the
 * next batch appended first: the broker has no state for the producer yet and accepts any first sequence number.
 * Every retry of the first batch then fails with {@code OUT_OF_ORDER_SEQUENCE_NUMBER} until {@code
 * delivery.timeout.ms} expires it, and its records are lost (KAFKA-15591, also KAFKA-14312 and KAFKA-19880, fixed after
 * Kafka 4.1). So creating a topic here also waits until the leader of every partition answers ListOffsets, which the
 * replica manager serves.
 */
public final class Topics {
  private Topics() {}

  /**
   * Creates {@code topic} (nothing if it exists) and waits until every partition's leader serves it.
   *
   * @param partitions the partition count, or empty for the broker's default
   * @param replication the replication factor, or empty for the broker's default
   * @throws IllegalStateException if the topic cannot be created or is not ready within {@code timeout}
   */
  public static void createReady(Admin admin, String topic, Optional<Integer> partitions, Optional<Short> replication,
      Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      try {
        admin.createTopics(List.of(new NewTopic(topic, partitions, replication))).all()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException("cannot create topic " + topic + ": " + e.getCause().getMessage(), e);
        }
      }
      awaitReady(admin, topic, deadline);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topic " + topic, e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("topic " + topic + " was not created and ready to be written within "
          + timeout.toSeconds() + " s" + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
    }
  }

  /** Waits until the leader of every partition of {@code topic} answers ListOffsets. */
  private static void awaitReady(Admin admin, String topic, long deadline) throws InterruptedException, TimeoutException {
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
            .get(remainingMillis(deadline), TimeUnit.MILLISECONDS).get(topic);
        Map<TopicPartition, OffsetSpec> latest = description.partitions().stream()
            .map(p -> new TopicPartition(topic, p.partition()))
            .collect(Collectors.toMap(Function.identity(), tp -> OffsetSpec.latest()));
        admin.listOffsets(latest).all().get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof RetriableException)) {
          throw new IllegalStateException("topic " + topic + " is not readable: " + e.getCause().getMessage(), e);
        }
        last = e;
      }
      Thread.sleep(50);
    }
    TimeoutException timeout = new TimeoutException("the leaders of topic " + topic + " did not serve it in time");
    timeout.initCause(last);
    throw timeout;
  }

  private static long remainingMillis(long deadline) {
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
  }
}
