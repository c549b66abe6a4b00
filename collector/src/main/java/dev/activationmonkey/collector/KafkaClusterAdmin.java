package dev.activationmonkey.collector;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.errors.MonkeyException;
import dev.activationmonkey.errors.ServiceUnavailableException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link ClusterAdmin} on Kafka's {@link Admin}. */
final class KafkaClusterAdmin implements ClusterAdmin {
  private static final Logger log = LoggerFactory.getLogger(KafkaClusterAdmin.class);

  private final Admin admin;
  private final CollectorConfig config;

  KafkaClusterAdmin(Admin admin, CollectorConfig config) {
    this.admin = requireNonNull(admin, "admin is null");
    this.config = requireNonNull(config, "config is null");
  }

  @Override
  public void checkBrokers() {
    try {
      admin.describeCluster().nodes().get(config.startupTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof org.apache.kafka.common.errors.AuthenticationException refused) {
        throw KafkaSecurity.refused("the collector", config.bootstrapServers(), refused, CollectorConfig.KAFKA_PREFIX);
      }
      throw unreachable(e);
    } catch (TimeoutException e) {
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MonkeyException(ExitCode.INTERRUPTED, "interrupted", e);
    }
  }

  private ServiceUnavailableException unreachable(Exception e) {
    return new ServiceUnavailableException("no Kafka broker answered at " + config.bootstrapServers() + " within "
        + config.startupTimeout().toSeconds() + " s. Check " + CollectorConfig.BOOTSTRAP_SERVERS + " and that the broker runs.", e);
  }

  /** Creates missing dead-letter topics, so the first bad record does not wait on auto-creation (or fail without it). */
  @Override
  public void ensureDeadLetterTopics() {
    Set<String> wanted = new HashSet<>();
    config.topics().forEach(t -> wanted.add(config.deadLetterTopic(t)));
    try {
      Set<String> existing = admin.listTopics().names().get(config.startupTimeout().toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t))
          .map(t -> new NewTopic(t, Optional.empty(), Optional.empty())).toList();
      if (!missing.isEmpty()) {
        admin.createTopics(missing).all().get(config.startupTimeout().toMillis(), TimeUnit.MILLISECONDS);
        log.info("created dead-letter topic(s) {}", missing.stream().map(NewTopic::name).toList());
      }
      for (String topic : config.topics()) {
        if (!existing.contains(topic)) {
          log.warn("topic {} does not exist yet; it is collected once it is created", topic);
        }
      }
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        log.warn("could not create the dead-letter topic(s) {}: {}", wanted, e.getCause().toString());
      }
    } catch (TimeoutException e) {
      log.warn("could not check the dead-letter topic(s) {}: timed out", wanted);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public Map<TopicPartition, Long> endOffsets() throws InterruptedException {
    try {
      Map<String, TopicDescription> topics = admin.describeTopics(config.topics()).allTopicNames().get();
      Map<TopicPartition, OffsetSpec> request = new LinkedHashMap<>();
      topics.values().forEach(d -> d.partitions().forEach(p -> request.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
      Map<TopicPartition, Long> ends = new HashMap<>();
      admin.listOffsets(request).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
      return ends;
    } catch (ExecutionException e) {
      throw new ServiceUnavailableException("cannot read the end offsets of " + config.topics() + ": " + e.getCause().getMessage(), e);
    }
  }

  @Override
  public Map<TopicPartition, OffsetAndMetadata> committedOffsets() throws InterruptedException {
    try {
      return admin.listConsumerGroupOffsets(config.groupId()).partitionsToOffsetAndMetadata().get();
    } catch (ExecutionException e) {
      throw new ServiceUnavailableException("cannot read the committed offsets of group " + config.groupId() + ": " + e.getCause().getMessage(), e);
    }
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(5));
  }
}
