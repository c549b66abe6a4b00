package dev.activationmonkey.collector;

import dev.activationmonkey.snapshot.SnapshotCodec;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A collector without a broker: Kafka's {@link MockConsumer} and {@link MockProducer}, a fake clock, and the
 * collector's loop driven from the test's thread, one {@link #step()} at a time (the test thread is the
 * collector's consumer thread), so every assertion sees a settled state.
 */
final class MockKafka implements KafkaClients, AutoCloseable {
  final TestConsumer consumer = new TestConsumer();
  final MockProducer<byte[], byte[]> deadLetters = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  final Collector collector;
  private boolean stopped;

  /** A collector on {@code config}, subscribed; the topic's partitions start empty at offset 0. */
  MockKafka(CollectorConfig config, int partitions) throws Exception {
    Map<TopicPartition, Long> beginnings = new HashMap<>();
    for (String topic : config.topics()) {
      for (int p = 0; p < partitions; p++) {
        beginnings.put(new TopicPartition(topic, p), 0L);
      }
    }
    consumer.updateBeginningOffsets(beginnings);
    collector = new Collector(config, this, nanos::get, stats -> {});
    collector.subscribe();
  }

  /**
   * MockConsumer, keeping the listener (to simulate lost partitions) and every offset the collector committed (the
   * mock's own {@code committed} answers 0 for partitions no longer assigned, and nothing once closed). Closing only
   * marks it closed, so a test can look at it afterwards.
   */
  static final class TestConsumer extends MockConsumer<byte[], ByteBuffer> {
    private ConsumerRebalanceListener listener;
    private final Map<TopicPartition, Long> groupOffsets = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean closedByCollector;

    TestConsumer() {
      super("earliest");
    }

    @Override
    public void subscribe(Collection<String> topics, ConsumerRebalanceListener listener) {
      this.listener = listener;
      super.subscribe(topics, listener);
    }

    ConsumerRebalanceListener listener() {
      return listener;
    }

    private int asyncCommitsToFail;

    /** The next {@code n} async commits fail (as a coordinator that moved or a request that timed out makes them). */
    void failAsyncCommits(int n) {
      asyncCommitsToFail = n;
    }

    @Override
    public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
      if (asyncCommitsToFail > 0) {
        asyncCommitsToFail--;
        callback.onComplete(offsets, new org.apache.kafka.clients.consumer.RetriableCommitFailedException("commit failed (test)"));
        return;
      }
      offsets.forEach((tp, o) -> groupOffsets.put(tp, o.offset()));
      super.commitAsync(offsets, callback);
    }

    @Override
    public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
      offsets.forEach((tp, o) -> groupOffsets.put(tp, o.offset()));
      super.commitSync(offsets);
    }

    @Override
    public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
      commitSync(offsets);
    }

    @Override
    public synchronized void close(Duration timeout) {
      closedByCollector = true;
    }

    @Override
    public synchronized void close(org.apache.kafka.clients.consumer.CloseOptions options) {
      closedByCollector = true;
    }

    boolean closedByCollector() {
      return closedByCollector;
    }
  }

  @Override
  public ClusterAdmin admin() {
    return new ClusterAdmin() {
      @Override
      public void checkBrokers() {}

      @Override
      public void ensureDeadLetterTopics() {}

      @Override
      public Map<TopicPartition, Long> endOffsets() {
        return consumer.endOffsets(consumer.assignment());
      }

      @Override
      public Map<TopicPartition, OffsetAndMetadata> committedOffsets() {
        return consumer.committed(consumer.assignment());
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public Consumer<byte[], ByteBuffer> consumer(java.util.Optional<String> groupInstanceId) {
    return consumer;
  }

  @Override
  public Producer<byte[], byte[]> deadLetterProducer() {
    return deadLetters;
  }

  /** Runs {@code task} inside the next poll, as Kafka runs rebalance callbacks. */
  void inNextPoll(Runnable task) {
    consumer.schedulePollTask(task);
  }

  /** Assigns the partitions (a rebalance: the callbacks run inside the next poll). */
  void assign(String topic, Integer... partitions) {
    List<TopicPartition> assignment = java.util.Arrays.stream(partitions).map(p -> new TopicPartition(topic, p)).toList();
    inNextPoll(() -> consumer.rebalance(assignment));
  }

  /** Adds the encoded snapshots of {@code iterations} at offsets {@code firstOffset...}, in the next poll. */
  void add(String topic, int partition, long firstOffset, int count) {
    inNextPoll(() -> {
      for (int i = 0; i < count; i++) {
        long offset = firstOffset + i;
        consumer.addRecord(record(topic, partition, offset, "run-a"));
      }
    });
  }

  static ConsumerRecord<byte[], ByteBuffer> record(String topic, int partition, long offset, String runId) {
    byte[] value = SnapshotCodec.INSTANCE.encode(TestRecords.snapshot(runId, partition, offset, 0, TestRecords.kind(0), 4, false));
    return new ConsumerRecord<>(topic, partition, offset, new byte[0], ByteBuffer.wrap(value));
  }

  /** One turn of the loop, then waits for the writer: this poll's records are written and maintenance ran. */
  void step() throws Exception {
    collector.pollOnce();
    collector.awaitWriter();
  }

  /** Two steps: the second commits, to the group, the offsets of the batches the first committed to the dataset. */
  void settle() throws Exception {
    step();
    step();
  }

  void advance(Duration time) {
    nanos.addAndGet(time.toNanos());
  }

  /** The group's committed offsets, by partition number. */
  Map<Integer, Long> committed(String topic, int partitions) {
    Map<Integer, Long> offsets = new java.util.TreeMap<>();
    consumer.groupOffsets.forEach((tp, offset) -> {
      if (tp.topic().equals(topic) && tp.partition() < partitions) {
        offsets.put(tp.partition(), offset);
      }
    });
    return offsets;
  }

  /** The clean stop (everything committed), as close() does on the collector's thread. */
  void stop() throws Exception {
    if (!stopped) {
      stopped = true;
      try {
        collector.shutdown();
      } finally {
        collector.release();
      }
    }
  }

  @Override
  public void close() throws Exception {
    if (!stopped) {
      stopped = true;
      collector.release(); // without committing: the test's assertions are made
    }
  }
}
