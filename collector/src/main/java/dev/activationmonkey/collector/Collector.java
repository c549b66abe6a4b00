package dev.activationmonkey.collector;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.collector.batch.BatchWriter;
import dev.activationmonkey.collector.dataset.CommitLog;
import dev.activationmonkey.collector.dataset.Storage;
import dev.activationmonkey.collector.deadletter.DeadLetterQueue;
import dev.activationmonkey.collector.ingest.ParallelDecoder;
import dev.activationmonkey.collector.parquet.ArrayPool;
import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.errors.MonkeyException;
import dev.activationmonkey.errors.ServiceUnavailableException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the snapshot topics as a consumer group and writes them to the Parquet dataset, exactly
 * once (see {@link CommitLog} for the protocol). This class runs the poll loop and wires the parts:
 * the Kafka clients ({@link KafkaClients}), the decoding ({@link ParallelDecoder}) and the batch lifecycle
 * ({@link BatchWriter}). One thread owns the consumer; one writer thread writes and commits a poll's records
 * while the consumer thread polls the next. The public methods may be called from any thread.
 *
 * <pre>{@code
 * try (Collector collector = Collector.start(config)) {
 *   ... produce ...
 *   collector.awaitCaughtUp(Duration.ofMinutes(1));
 * }
 * }</pre>
 */
public final class Collector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Collector.class);
  private static final Duration POLL = Duration.ofMillis(200);
  private static final Duration POLL_SLICE = Duration.ofMillis(10);

  private final CollectorConfig config;
  private final LongSupplier nanoTime;
  private final CommitLog commitLog;
  private final ClusterAdmin admin;
  /** Static group membership: the id, and for {@code auto} its claimed slot (released when the collector stops). */
  private final GroupInstance groupInstance;
  private final org.apache.kafka.clients.consumer.Consumer<byte[], ByteBuffer> consumer;
  private final DeadLetterQueue deadLetters;
  private final Consumer<CollectorStats> statusListener;
  private final Thread thread;
  /** Decode threads; between polls they also close files. Null with decode.threads=0. */
  private final ExecutorService decodePool;
  private final ParallelDecoder decoder;
  /** Writes and commits batches while the collector thread polls the next records. */
  private final ExecutorService writerThread;
  /**
   * The batches: used by the writer thread during a task, by the collector thread only between tasks (after
   * awaitWriter, before the next submit: the Future gives the happens-before both ways).
   */
  private final BatchWriter writer;
  /** The writer's current task; collector thread only. */
  private Future<Void> pending;
  private final CountDownLatch stopped = new CountDownLatch(1);

  // Collector thread only.
  private long lastStatusNanos;
  private long lastStatusRows;
  private long lastLagNanos;

  // Read by any thread.
  private volatile long lag;
  private volatile int partitions;
  private volatile double recordsPerSecond;
  private volatile boolean closing;
  /** End offsets awaitCaughtUp waits for: a batch that reached its partition's is committed without waiting to idle. */
  private volatile Map<TopicPartition, Long> flushAt = Map.of();
  /**
   * The group's offsets last sent by partition, and those whose async commit failed (consumer thread only). A failed
   * one is sent again with the next commit unless a newer one went out for its partition: at the end of a stream no
   * newer commit would correct it, and lag tools and {@link #awaitCaughtUp} read the group's offsets.
   */
  private final Map<TopicPartition, OffsetAndMetadata> offsetsSent = new HashMap<>();
  private final Map<TopicPartition, OffsetAndMetadata> offsetsToRetry = new HashMap<>();
  private volatile Throwable failure;

  /**
   * A collector on the given clients; {@code nanoTime} is its clock (rotation by idle time and age, the status
   * interval). Not started.
   */
  Collector(CollectorConfig config, KafkaClients clients, LongSupplier nanoTime, Consumer<CollectorStats> statusListener) {
    this.config = requireNonNull(config, "config is null");
    requireNonNull(clients, "clients is null");
    this.nanoTime = requireNonNull(nanoTime, "nanoTime is null");
    this.statusListener = requireNonNull(statusListener, "statusListener is null");
    this.lastStatusNanos = nanoTime.getAsLong();
    ArrayPool.bound(config.bufferPoolBytes());
    Storage storage;
    try {
      storage = Storage.open(config.datasetRoot(), config.hadoopProperties());
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException(CollectorConfig.DATASET_ROOT + " '" + config.datasetRoot() + "' cannot be used: " + e.getMessage(), e);
    }
    this.commitLog = new CommitLog(storage);
    this.admin = clients.admin();
    try {
      admin.checkBrokers();
      admin.ensureDeadLetterTopics();
    } catch (RuntimeException e) {
      admin.close();
      throw e;
    }
    this.groupInstance = GroupInstance.claim(config);
    this.consumer = clients.consumer(groupInstance.id());
    groupInstance.id().ifPresent(id -> log.info("joining group {} as static member {}", config.groupId(), id));
    this.deadLetters = new DeadLetterQueue(clients.deadLetterProducer(), config::deadLetterTopic);
    this.thread = new Thread(this::run, "monkey-collector");
    this.writerThread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "monkey-collector-writer");
      t.setDaemon(true);
      return t;
    });
    AtomicInteger decoderNumber = new AtomicInteger();
    this.decodePool = config.decodeThreads() == 0 ? null : Executors.newFixedThreadPool(config.decodeThreads(), r -> {
      Thread t = new Thread(r, "monkey-collector-decode-" + decoderNumber.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.decoder = new ParallelDecoder(decodePool);
    this.writer = new BatchWriter(new BatchWriter.Limits(config.rotateRecords(), config.rotateBytes(), config.flushIdle(),
        config.flushMaxAge(), config.maxOpenFiles(), config.bufferMemoryBytes(), config.rowGroupBytes(), config.zstdLevel()),
        commitLog, deadLetters, decodePool);
  }

  /** Starts collecting on a thread of its own. */
  public static Collector start(CollectorConfig config) {
    return start(config, stats -> log.info("{}", stats.statusLine()));
  }

  /**
   * Starts collecting; {@code statusListener} receives the stats every {@link
   * CollectorConfig#statusInterval()}, on the collector's thread (keep it quick).
   *
   * @throws ServiceUnavailableException if no broker answers within {@link CollectorConfig#startupTimeout()}
   * @throws InvalidInputException if the dataset root cannot be used
   */
  public static Collector start(CollectorConfig config, Consumer<CollectorStats> statusListener) {
    return start(config, new ConfiguredKafkaClients(config), System::nanoTime, statusListener);
  }

  /** Starts collecting on the given clients and clock (tests: Kafka's MockConsumer, a fake clock). */
  static Collector start(CollectorConfig config, KafkaClients clients, LongSupplier nanoTime, Consumer<CollectorStats> statusListener) {
    Collector collector = new Collector(config, clients, nanoTime, statusListener);
    collector.thread.start();
    return collector;
  }

  public CollectorConfig config() {
    return config;
  }

  public CollectorStats stats() {
    return new CollectorStats(writer.recordsWritten(), writer.filesWritten(), writer.deadLettersSent(), writer.commits(),
        writer.fencedCommits(), lag, partitions, writer.openFiles(), writer.bufferedBytes(), recordsPerSecond);
  }

  /**
   * Returns once every record in the topics at call time (their end offsets, all partitions) is in
   * visible Parquet files (or the dead-letter topic) and the group's offsets are committed past it,
   * whichever collector of the group wrote it. A batch that reaches those offsets is committed at once
   * rather than at the next idle flush.
   *
   * @throws TimeoutException if that does not happen within {@code timeout}
   * @throws IllegalStateException if the collector stopped on a failure
   */
  public void awaitCaughtUp(Duration timeout) throws TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<TopicPartition, Long> ends = admin.endOffsets();
    Map<TopicPartition, Long> behind = new HashMap<>(ends);
    flushAt = Map.copyOf(ends);
    while (true) {
      throwIfFailed();
      Map<TopicPartition, OffsetAndMetadata> committed = admin.committedOffsets();
      behind.entrySet().removeIf(e -> e.getValue() == 0
          || (committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() >= e.getValue()));
      if (behind.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("not caught up after " + timeout + ": committed offsets behind the end offsets " + behind
            + " (committed: " + committed + ")");
      }
      Thread.sleep(100);
    }
  }

  /** Blocks until the collector stops (after {@link #close()}, or on a failure). */
  public void awaitStopped() throws InterruptedException {
    stopped.await();
  }

  /** Whether it stopped; see {@link #failure()}. */
  public boolean isStopped() {
    return stopped.getCount() == 0;
  }

  /** What stopped the collector, if it failed. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  /**
   * Commits every open batch, commits the offsets, leaves the group and releases the clients.
   *
   * @throws MonkeyException if the collector had failed (its failure is the cause)
   */
  @Override
  public void close() {
    closing = true;
    if (Thread.currentThread() != thread) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    admin.close();
    throwIfFailed();
  }

  private void throwIfFailed() {
    Throwable t = failure;
    if (t instanceof MonkeyException m) {
      throw m;
    }
    if (t != null) {
      throw new MonkeyException(ExitCode.INTERNAL, "the collector stopped: " + t, t);
    }
  }

  // ---------------------------------------------------------------- the collector thread

  private void run() {
    try {
      subscribe();
      while (!closing) {
        pollOnce();
      }
      shutdown();
    } catch (Throwable t) {
      fail(t);
    } finally {
      release();
    }
  }

  void subscribe() {
    consumer.subscribe(config.topics(), new Rebalance());
  }

  /**
   * One turn of the loop: polls (and, in the rebalance callbacks, recovers) while the writer writes the previous
   * poll, then hands this poll's records to the writer.
   */
  void pollOnce() throws Exception {
    ConsumerRecords<byte[], ByteBuffer> records = pollWhileWriting();
    awaitWriter(); // from here to the next submit the writer is idle: its state is ours
    Set<TopicPartition> stale = repositionFenced();
    List<ConsumerRecord<byte[], ByteBuffer>> polled = new ArrayList<>(records.count());
    for (ConsumerRecord<byte[], ByteBuffer> record : records) {
      if (stale.isEmpty() || !stale.contains(new TopicPartition(record.topic(), record.partition()))) {
        polled.add(record); // records of a re-positioned partition were fetched before its seek
      }
    }
    long now = nanoTime.getAsLong();
    report(now);
    commitOffsetsAsync();
    Map<TopicPartition, Long> flushTargets = flushAt;
    pending = writerThread.submit(() -> {
      writer.beginTask();
      // Everything of one poll is written before the next poll (rebalance callbacks run in poll).
      decoder.decode(polled, (record, result) -> writer.write(record, result, now));
      writer.maintain(now, flushTargets);
      return null;
    });
  }

  /** The clean stop: commits every batch and the offsets. */
  void shutdown() throws Exception {
    awaitWriter();
    writer.commitAll("shutdown");
    commitOffsetsSync();
    log.info("collector stopped: {}", stats().statusLine());
  }

  private void fail(Throwable t) {
    if (t instanceof FencedInstanceIdException) {
      t = new InvalidInputException("another collector joined group " + config.groupId() + " with this one's "
          + CollectorConfig.GROUP_INSTANCE_ID + " '" + groupInstance.id().orElse("") + "': every collector of a group needs its own ("
          + CollectorConfig.GROUP_INSTANCE_ID + "=auto numbers those on one machine)", t);
    }
    failure = t;
    log.error("collector failed; uncommitted batches are left for recovery", t);
    try {
      awaitWriter(); // it may still be writing: let it finish before its files are dropped
    } catch (Throwable writerFailure) {
      log.debug("writer: {}", writerFailure.toString());
    }
    writer.abandonAll();
  }

  void release() {
    try {
      // A clean stop leaves the group, static member or not, so the other collectors take its partitions at once;
      // a failed one stays a member: restarted with the same id it takes them back without a rebalance.
      CloseOptions close = CloseOptions.timeout(Duration.ofSeconds(10));
      if (failure == null) {
        close = close.withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP);
      }
      consumer.close(close);
    } catch (RuntimeException e) {
      log.warn("closing the consumer: {}", e.toString());
    }
    groupInstance.close();
    deadLetters.close();
    writerThread.shutdownNow();
    if (decodePool != null) {
      decodePool.shutdownNow();
    }
    stopped.countDown();
  }

  /**
   * Polls; while the writer is still busy with the previous poll, in short slices, so that once it is
   * done (its commits waiting to be acknowledged to the group) the loop goes on without waiting out
   * the full poll timeout for records that may not come.
   */
  private ConsumerRecords<byte[], ByteBuffer> pollWhileWriting() {
    Future<Void> task = pending; // a rebalance callback inside poll may await and clear it
    if (task == null || task.isDone()) {
      return consumer.poll(POLL);
    }
    long deadline = System.nanoTime() + POLL.toNanos();
    ConsumerRecords<byte[], ByteBuffer> records;
    do {
      records = consumer.poll(POLL_SLICE);
    } while (records.isEmpty() && !task.isDone() && !closing && System.nanoTime() < deadline);
    return records;
  }

  /** Waits for the writer's current task; rethrows its failure. Afterwards the writer is idle until the next submit. */
  void awaitWriter() throws Exception {
    Future<Void> task = pending;
    pending = null;
    if (task == null) {
      return;
    }
    try {
      task.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw (Error) e.getCause();
    }
  }

  /** The same, from a rebalance callback (which may not throw checked exceptions). */
  private void awaitWriterInCallback() {
    try {
      awaitWriter();
    } catch (RuntimeException e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MonkeyException(ExitCode.INTERRUPTED, "interrupted", e);
    } catch (Exception e) {
      throw new UncheckedIOException(e instanceof IOException io ? io : new IOException(e));
    }
  }

  /**
   * Recovers and re-seeks the partitions whose commit the writer found fenced (seeking is the consumer
   * thread's job: KafkaConsumer is single-threaded). Returns them: what the last poll fetched for them
   * predates the seek and must be dropped.
   */
  private Set<TopicPartition> repositionFenced() throws IOException {
    Set<TopicPartition> fenced = writer.takeFenced();
    if (fenced.isEmpty()) {
      return Set.of();
    }
    Set<TopicPartition> repositioned = new HashSet<>();
    Set<TopicPartition> assignment = consumer.assignment();
    for (TopicPartition tp : fenced) {
      if (assignment.contains(tp)) {
        writer.startBatch(tp, recoverAndSeek(tp));
        repositioned.add(tp);
      }
    }
    return repositioned;
  }

  /** Lag and the status line: on the consumer thread (lag comes from the consumer), between writer tasks. */
  private void report(long now) {
    if (now - lastLagNanos >= 1_000_000_000L) {
      lastLagNanos = now;
      updateLag();
    }
    if (now - lastStatusNanos >= config.statusInterval().toNanos()) {
      long rows = writer.recordsWritten();
      recordsPerSecond = (rows - lastStatusRows) / ((now - lastStatusNanos) / 1e9);
      lastStatusRows = rows;
      lastStatusNanos = now;
      updateLag();
      try {
        statusListener.accept(stats());
      } catch (RuntimeException e) {
        log.warn("status listener failed: {}", e.toString());
      }
    }
  }

  private void updateLag() {
    lag = writer.lag(consumer::currentLag);
    partitions = writer.partitions();
  }

  /** Recovers a partition from the dataset and positions the consumer where the dataset ends; returns that offset. */
  private long recoverAndSeek(TopicPartition tp) throws IOException {
    CommitLog.Recovery recovery = commitLog.recover(tp.topic(), tp.partition());
    long resume;
    if (recovery.resumeOffset().isPresent()) {
      resume = recovery.resumeOffset().getAsLong();
      consumer.seek(tp, resume);
    } else {
      // Nothing of this partition in the dataset yet: start where auto.offset.reset says (earliest by default).
      Object reset = config.kafkaProperties().getOrDefault(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      if ("latest".equals(reset)) {
        consumer.seekToEnd(List.of(tp));
      } else {
        consumer.seekToBeginning(List.of(tp));
      }
      resume = consumer.position(tp);
    }
    if (recovery.rolledForward() > 0 || recovery.leftoversDeleted() > 0) {
      log.info("recovered {}: finished {} interrupted file moves, deleted {} leftovers; resuming at offset {}",
          tp, recovery.rolledForward(), recovery.leftoversDeleted(), resume);
    }
    // Keep the group's offsets (lag tools, awaitCaughtUp) in line with the dataset.
    OffsetAndMetadata committed = consumer.committed(Set.of(tp)).get(tp);
    if (recovery.resumeOffset().isPresent() && (committed == null || committed.offset() != resume)) {
      OffsetAndMetadata offset = new OffsetAndMetadata(resume);
      consumer.commitSync(Map.of(tp, offset));
      offsetsToRetry.remove(tp);
      offsetsSent.put(tp, offset);
    }
    return resume;
  }

  private void commitOffsetsAsync() {
    Map<TopicPartition, OffsetAndMetadata> offsets = takeOffsetsToCommit();
    if (offsets.isEmpty()) {
      return;
    }
    consumer.commitAsync(offsets, (committed, e) -> {
      if (e != null) {
        // Only a hint (the dataset says where to resume), but one the group should end up with: sent again next turn.
        log.debug("offset commit failed, retried with the next commit: {}", e.toString());
        offsets.forEach((tp, offset) -> {
          if (offset.equals(offsetsSent.get(tp))) {
            offsetsToRetry.put(tp, offset);
          }
        });
      }
    });
  }

  private void commitOffsetsSync() {
    Map<TopicPartition, OffsetAndMetadata> offsets = takeOffsetsToCommit();
    if (offsets.isEmpty()) {
      return;
    }
    try {
      consumer.commitSync(offsets, Duration.ofSeconds(10));
    } catch (RuntimeException e) {
      log.warn("offset commit failed (the dataset stays the source of truth): {}", e.toString());
    }
  }

  /** The writer's newly committed batches' offsets, over those whose commit failed; recorded as sent. */
  private Map<TopicPartition, OffsetAndMetadata> takeOffsetsToCommit() {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(offsetsToRetry);
    offsetsToRetry.clear();
    offsets.putAll(writer.takeOffsetsToCommit());
    offsetsSent.putAll(offsets);
    return offsets;
  }

  /** Partitions no longer ours: nothing of theirs is sent again. */
  private void forgetOffsets(Collection<TopicPartition> partitions) {
    partitions.forEach(offsetsToRetry::remove);
    partitions.forEach(offsetsSent::remove);
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
      awaitWriterInCallback(); // the batches are committed here, so the writer must be done with them
      try {
        writer.revoke(revoked);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      commitOffsetsSync();
      forgetOffsets(revoked);
      partitions = writer.partitions();
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
      // Someone else may own them already: commit nothing, write nothing more.
      log.warn("partitions lost (the group moved on without us): {}", lost);
      awaitWriterInCallback();
      writer.lose(lost);
      forgetOffsets(lost);
      partitions = writer.partitions();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
      awaitWriterInCallback();
      writer.assigned(assigned); // recovered and re-seeked below
      try {
        for (TopicPartition tp : assigned) {
          writer.startBatch(tp, recoverAndSeek(tp));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      partitions = writer.partitions();
      log.info("assigned {}", assigned);
    }
  }
}
