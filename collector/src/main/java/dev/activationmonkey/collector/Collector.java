package dev.activationmonkey.collector;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.collector.dataset.CommitLog;
import dev.activationmonkey.collector.dataset.CommitManifest;
import dev.activationmonkey.collector.dataset.DataFileName;
import dev.activationmonkey.collector.dataset.FencedException;
import dev.activationmonkey.collector.dataset.Storage;
import dev.activationmonkey.collector.deadletter.DeadLetterQueue;
import dev.activationmonkey.collector.ingest.PartitionBatch;
import dev.activationmonkey.collector.ingest.PartitionBatch.OpenFile;
import dev.activationmonkey.collector.ingest.PartitionBatch.Target;
import dev.activationmonkey.collector.ingest.RecordDecoder;
import dev.activationmonkey.collector.parquet.ParquetFiles;
import dev.activationmonkey.collector.parquet.Row;
import dev.activationmonkey.collector.parquet.Table;
import dev.activationmonkey.collector.parquet.Tables;
import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.errors.MonkeyException;
import dev.activationmonkey.errors.ServiceUnavailableException;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.hadoop.fs.Path;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the snapshot topics as a consumer group and writes them to the Parquet dataset, exactly
 * once (see {@link CommitLog} for the protocol). One thread owns the consumer and every writer; the
 * public methods may be called from any thread.
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
  private static final String[] KIND_DIRECTORIES = java.util.Arrays.stream(dev.activationmonkey.snapshot.avro.Kind.values())
      .map(k -> k.name().toLowerCase(Locale.ROOT)).toArray(String[]::new);

  private final CollectorConfig config;
  private final Storage storage;
  private final CommitLog commitLog;
  private final RecordDecoder decoder = new RecordDecoder();
  private final Admin admin;
  private final KafkaConsumer<byte[], ByteBuffer> consumer;
  private final DeadLetterQueue deadLetters;
  private final Consumer<CollectorStats> statusListener;
  private final Thread thread;
  private final java.util.concurrent.ExecutorService decodePool;
  /** Writes and commits batches while the collector thread polls the next records. */
  private final java.util.concurrent.ExecutorService writer;
  /** The writer's current task; collector thread only. */
  private java.util.concurrent.Future<Void> pending;
  private final CountDownLatch stopped = new CountDownLatch(1);

  // Writer state: used by the writer thread during a task, by the collector thread only between tasks
  // (after awaitWriter, before the next submit: the Future gives the happens-before both ways).
  private final Map<TopicPartition, PartitionBatch> batches = new HashMap<>();
  private final Map<TopicPartition, OffsetAndMetadata> offsetsToCommit = new HashMap<>();
  private int openFiles;
  private long tick;
  /** Partitions whose commit was fenced, for the consumer thread to recover and re-seek. */
  private final Set<TopicPartition> fenced = new HashSet<>();
  private long lastStatusNanos = System.nanoTime();
  private long lastStatusRows;
  private long lastLagNanos;
  /** Partitions re-positioned during the current poll's records: the rest of that poll is stale for them. */
  private final Set<TopicPartition> reseeked = new HashSet<>();

  // Read by any thread.
  private final AtomicLong recordsWritten = new AtomicLong();
  private final AtomicLong filesWritten = new AtomicLong();
  private final AtomicLong deadLettersSent = new AtomicLong();
  private final AtomicLong commits = new AtomicLong();
  private final AtomicLong fencedCommits = new AtomicLong();
  private volatile long lag;
  private volatile int partitions;
  private volatile int openFilesNow;
  private volatile long bufferedBytes;
  private volatile double recordsPerSecond;
  private volatile boolean closing;
  /** End offsets awaitCaughtUp waits for: a batch that reached its partition's is committed without waiting to idle. */
  private volatile Map<TopicPartition, Long> flushAt = Map.of();
  private volatile Throwable failure;

  private Collector(CollectorConfig config, Consumer<CollectorStats> statusListener) {
    this.config = requireNonNull(config, "config is null");
    this.statusListener = requireNonNull(statusListener, "statusListener is null");
    dev.activationmonkey.collector.parquet.ArrayPool.bound(config.bufferPoolBytes());
    try {
      this.storage = Storage.open(config.datasetRoot(), config.hadoopProperties());
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException(CollectorConfig.DATASET_ROOT + " '" + config.datasetRoot() + "' cannot be used: " + e.getMessage(), e);
    }
    this.commitLog = new CommitLog(storage);
    this.admin = Admin.create(clientProperties(AdminClientConfig.configNames(), "admin"));
    try {
      checkBrokers();
      ensureDeadLetterTopics();
    } catch (RuntimeException e) {
      admin.close(Duration.ofSeconds(5));
      throw e;
    }
    Properties consumerProperties = clientProperties(ConsumerConfig.configNames(), "consumer");
    consumerProperties.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    consumerProperties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    consumerProperties.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumerProperties.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    // Larger fetches: fewer round trips, and polls big enough to split across the decode threads.
    consumerProperties.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(4 << 20));
    consumerProperties.putIfAbsent(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, String.valueOf(64 * 1024));
    consumerProperties.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "100");
    // Values as the fetched buffer itself (Kafka's ByteBufferDeserializer returns it, no copy): the decoder
    // reads a snapshot in place instead of from a per-record byte[] copy (~1 KB of garbage per record).
    this.consumer = new KafkaConsumer<>(consumerProperties, new ByteArrayDeserializer(), new ByteBufferDeserializer());
    Properties producerProperties = clientProperties(ProducerConfig.configNames(), "dlq");
    producerProperties.put(ProducerConfig.ACKS_CONFIG, "all");
    producerProperties.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
    this.deadLetters = new DeadLetterQueue(
        new KafkaProducer<>(producerProperties, new ByteArraySerializer(), new ByteArraySerializer()),
        config::deadLetterTopic);
    this.thread = new Thread(this::run, "monkey-collector");
    this.writer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "monkey-collector-writer");
      t.setDaemon(true);
      return t;
    });
    java.util.concurrent.atomic.AtomicInteger decoderNumber = new java.util.concurrent.atomic.AtomicInteger();
    this.decodePool = config.decodeThreads() == 0 ? null : java.util.concurrent.Executors.newFixedThreadPool(config.decodeThreads(), r -> {
      Thread t = new Thread(r, "monkey-collector-decode-" + decoderNumber.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
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
    Collector collector = new Collector(config, statusListener);
    collector.thread.start();
    return collector;
  }

  public CollectorConfig config() {
    return config;
  }

  public CollectorStats stats() {
    return new CollectorStats(recordsWritten.get(), filesWritten.get(), deadLettersSent.get(), commits.get(),
        fencedCommits.get(), lag, partitions, openFilesNow, bufferedBytes, recordsPerSecond);
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
    Map<TopicPartition, Long> ends = endOffsets();
    Map<TopicPartition, Long> behind = new HashMap<>(ends);
    flushAt = Map.copyOf(ends);
    while (true) {
      throwIfFailed();
      Map<TopicPartition, OffsetAndMetadata> committed;
      try {
        committed = admin.listConsumerGroupOffsets(config.groupId()).partitionsToOffsetAndMetadata().get();
      } catch (ExecutionException e) {
        throw new ServiceUnavailableException("cannot read the committed offsets of group " + config.groupId() + ": " + e.getCause().getMessage(), e);
      }
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
  public java.util.Optional<Throwable> failure() {
    return java.util.Optional.ofNullable(failure);
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
    admin.close(Duration.ofSeconds(5));
    throwIfFailed();
  }

  private void throwIfFailed() {
    Throwable t = failure;
    if (t instanceof MonkeyException m) {
      throw m;
    }
    if (t != null) {
      throw new MonkeyException(dev.activationmonkey.errors.ExitCode.INTERNAL, "the collector stopped: " + t, t);
    }
  }

  // ---------------------------------------------------------------- the collector thread

  private void run() {
    try {
      consumer.subscribe(config.topics(), new Rebalance());
      while (!closing) {
        // Polls (and, in the rebalance callbacks, recovers) while the writer writes the previous poll.
        ConsumerRecords<byte[], ByteBuffer> records = pollWhileWriting();
        awaitWriter(); // from here to the next submit the writer is idle: its state is ours
        Set<TopicPartition> stale = repositionFenced();
        List<ConsumerRecord<byte[], ByteBuffer>> polled = new ArrayList<>(records.count());
        for (ConsumerRecord<byte[], ByteBuffer> record : records) {
          if (stale.isEmpty() || !stale.contains(new TopicPartition(record.topic(), record.partition()))) {
            polled.add(record); // records of a re-positioned partition were fetched before its seek
          }
        }
        long now = System.nanoTime();
        report(now);
        commitOffsetsAsync();
        pending = writer.submit(() -> {
          // Fences found before this poll (in maintenance or a rebalance) were re-seeked by repositionFenced, which
          // dropped their records fetched before the seek: this poll's remaining records are all to be written.
          reseeked.clear();
          processAll(polled, now);
          maintain(now);
          return null;
        });
      }
      awaitWriter();
      commitAll("shutdown");
      commitOffsetsSync();
      log.info("collector stopped: {}", stats().statusLine());
    } catch (Throwable t) {
      failure = t;
      log.error("collector failed; uncommitted batches are left for recovery", t);
      try {
        awaitWriter(); // it may still be writing: let it finish before its files are dropped
      } catch (Throwable writerFailure) {
        log.debug("writer: {}", writerFailure.toString());
      }
      abandonAll();
    } finally {
      try {
        consumer.close(Duration.ofSeconds(10));
      } catch (RuntimeException e) {
        log.warn("closing the consumer: {}", e.toString());
      }
      deadLetters.close();
      writer.shutdownNow();
      if (decodePool != null) {
        decodePool.shutdownNow();
      }
      stopped.countDown();
    }
  }

  /**
   * Polls; while the writer is still busy with the previous poll, in short slices, so that once it is
   * done (its commits waiting to be acknowledged to the group) the loop goes on without waiting out
   * the full poll timeout for records that may not come.
   */
  private ConsumerRecords<byte[], ByteBuffer> pollWhileWriting() {
    java.util.concurrent.Future<Void> task = pending; // a rebalance callback inside poll may await and clear it
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
  private void awaitWriter() throws Exception {
    java.util.concurrent.Future<Void> task = pending;
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
      throw new MonkeyException(dev.activationmonkey.errors.ExitCode.INTERRUPTED, "interrupted", e);
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
    if (fenced.isEmpty()) {
      return Set.of();
    }
    Set<TopicPartition> repositioned = new HashSet<>();
    Set<TopicPartition> assignment = consumer.assignment();
    for (TopicPartition tp : fenced) {
      if (assignment.contains(tp)) {
        batches.put(tp, recoverAndSeek(tp));
        repositioned.add(tp);
      }
    }
    fenced.clear();
    return repositioned;
  }

  /** Records per decode task: small enough that writing starts soon, large enough to amortize the hand-off. */
  private static final int DECODE_CHUNK = 256;

  /**
   * Decodes and writes a poll's records in order. With decode threads, decoding runs ahead on them in
   * chunks while this thread writes the chunks already decoded: the two halves of the work (Avro,
   * Parquet) overlap on different cores, and this thread, the only writer, decodes only the chunks it
   * reaches before a decode thread does. Everything of one poll is written before the next poll (rebalance callbacks run in poll).
   */
  private void processAll(List<ConsumerRecord<byte[], ByteBuffer>> records, long now) throws Exception {
    RecordDecoder.Result[] results = new RecordDecoder.Result[records.size()];
    if (decodePool == null || records.size() <= DECODE_CHUNK / 4) {
      decodeRange(records, results, 0, records.size());
      for (int i = 0; i < records.size(); i++) {
        process(records.get(i), results[i], now);
      }
      return;
    }
    int count = (records.size() + DECODE_CHUNK - 1) / DECODE_CHUNK;
    // A chunk is decoded by whoever claims it first: a decode thread running ahead, or this thread when
    // it gets there first. On a busy machine a descheduled decode thread then never stalls the writer.
    java.util.concurrent.atomic.AtomicBoolean[] claimed = new java.util.concurrent.atomic.AtomicBoolean[count];
    List<java.util.concurrent.Future<?>> chunks = new ArrayList<>(count);
    for (int c = 0; c < count; c++) {
      claimed[c] = new java.util.concurrent.atomic.AtomicBoolean();
    }
    for (int c = 0; c < count; c++) {
      int chunk = c;
      chunks.add(decodePool.submit(() -> {
        if (claimed[chunk].compareAndSet(false, true)) {
          decodeRange(records, results, chunk * DECODE_CHUNK, Math.min(records.size(), (chunk + 1) * DECODE_CHUNK));
        }
      }));
    }
    try {
      for (int c = 0; c < count; c++) {
        int start = c * DECODE_CHUNK;
        int end = Math.min(records.size(), start + DECODE_CHUNK);
        if (claimed[c].compareAndSet(false, true)) {
          decodeRange(records, results, start, end);
        } else {
          chunks.get(c).get(); // happens-before: the chunk's results are visible here
        }
        for (int i = start; i < end; i++) {
          process(records.get(i), results[i], now);
        }
      }
    } finally {
      chunks.forEach(f -> f.cancel(false)); // after a failure, do not leave decoding work queued behind us
    }
  }

  private void decodeRange(List<ConsumerRecord<byte[], ByteBuffer>> records, RecordDecoder.Result[] results, int from, int to) {
    for (int i = from; i < to; i++) {
      ConsumerRecord<byte[], ByteBuffer> r = records.get(i);
      results[i] = decoder.decode(r.value(), r.topic(), r.partition(), r.offset());
    }
  }

  private void process(ConsumerRecord<byte[], ByteBuffer> record, RecordDecoder.Result result, long now) throws IOException {
    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
    PartitionBatch batch = batches.get(tp);
    if (batch == null || reseeked.contains(tp) || record.offset() < batch.nextOffset()) {
      return; // not ours any more, or fetched before a seek (after a fence), or already in the dataset
    }
    if (result.rejection() != null) {
      deadLetters.send(record, result.rejection());
      deadLettersSent.incrementAndGet();
      batch.consumed(record.offset(), true, now);
    } else {
      Row row = result.row();
      Target target = new Target(Tables.of(row.type()), RecordDecoder.runId(row.record()),
          row.record() instanceof LayerSnapshot s ? KIND_DIRECTORIES[s.getKind().ordinal()] : null);
      OpenFile file = batch.file(target);
      if (file == null) {
        batch = makeRoomForFile(batch);
        if (reseeked.contains(tp)) {
          return; // making room committed this partition's batch and found it fenced: re-read from the dataset's end
        }
        file = openFile(batch, target);
      }
      file.write(row, ++tick);
      batch.consumed(record.offset(), false, now);
    }
    if (batch.records() >= config.rotateRecords()) {
      commitBatch(tp, "records");
    }
  }

  /** Keeps the open files under the cap: commits the batch of the least recently used file. */
  private PartitionBatch makeRoomForFile(PartitionBatch current) throws IOException {
    while (openFiles >= config.maxOpenFiles()) {
      OpenFile lru = null;
      for (PartitionBatch batch : batches.values()) {
        for (OpenFile file : batch.files()) {
          if (lru == null || file.lastUse() < lru.lastUse()) {
            lru = file;
          }
        }
      }
      if (lru == null) {
        break;
      }
      commitBatch(lru.batch().partition(), "max.open.files");
    }
    return batches.get(current.partition());
  }

  private OpenFile openFile(PartitionBatch batch, Target target) throws IOException {
    TopicPartition tp = batch.partition();
    if (batch.tempDir() == null) {
      batch.tempDir(commitLog.newTempDir(tp.topic(), tp.partition(), batch.firstOffset()));
    }
    Path temp = new Path(batch.tempDir(), "part-" + batch.files().size() + ".parquet");
    OpenFile file = batch.addFile(target, temp,
        ParquetFiles.open(target.table(), storage.outputFile(temp), config.rowGroupBytes(), config.zstdLevel()));
    openFilesNow = ++openFiles; // the gauge follows every open and close, not just the end of a poll
    return file;
  }

  /** Rotation by size, idle time, age and the memory bound (writer). */
  private void maintain(long now) throws IOException {
    Map<TopicPartition, Long> flushTargets = flushAt;
    Map<TopicPartition, String> due = new LinkedHashMap<>();
    long total = 0;
    for (PartitionBatch batch : new ArrayList<>(batches.values())) {
      if (batch.isEmpty()) {
        continue;
      }
      long size = batch.updateSizeEstimate();
      Long flushTarget = flushTargets.get(batch.partition());
      String why = flushTarget != null && batch.nextOffset() >= flushTarget ? "caught up"
          : size >= config.rotateBytes() ? "bytes"
          : now - batch.lastAppendNanos() >= config.flushIdle().toNanos() ? "idle"
          : now - batch.startedNanos() >= config.flushMaxAge().toNanos() ? "age"
          : null;
      if (why != null) {
        due.put(batch.partition(), why);
      } else {
        total += size;
      }
    }
    closeFiles(due.keySet());
    for (Map.Entry<TopicPartition, String> commit : due.entrySet()) {
      commitBatch(commit.getKey(), commit.getValue());
    }
    while (total > config.bufferMemoryBytes()) {
      PartitionBatch largest = batches.values().stream()
          .filter(b -> !b.isEmpty())
          .max(java.util.Comparator.comparingLong(PartitionBatch::sizeEstimate))
          .orElse(null);
      if (largest == null) {
        break;
      }
      total -= largest.sizeEstimate();
      commitBatch(largest.partition(), "buffer.memory.bytes");
    }
    bufferedBytes = total;
    openFilesNow = openFiles;
  }

  /** Lag and the status line: on the consumer thread (lag comes from the consumer), between writer tasks. */
  private void report(long now) {
    if (now - lastLagNanos >= 1_000_000_000L) {
      lastLagNanos = now;
      updateLag();
    }
    if (now - lastStatusNanos >= config.statusInterval().toNanos()) {
      long rows = recordsWritten.get();
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
    long sum = 0;
    for (PartitionBatch batch : batches.values()) {
      var consumerLag = consumer.currentLag(batch.partition());
      long position = batch.nextOffset();
      sum += (consumerLag.isPresent() ? consumerLag.getAsLong() : 0) + (position - batch.firstOffset());
    }
    lag = sum;
    partitions = batches.size();
  }

  /** Makes a partition's batch visible (see {@link CommitLog}); starts the next batch after it. */
  private void commitBatch(TopicPartition tp, String why) throws IOException {
    PartitionBatch batch = batches.get(tp);
    if (batch == null || batch.isEmpty()) {
      return;
    }
    List<CommitManifest.Move> moves = new ArrayList<>();
    DataFileName name = new DataFileName(tp.topic(), tp.partition(), batch.firstOffset(), batch.lastOffset());
    for (OpenFile file : batch.files()) {
      file.close();
      openFilesNow = --openFiles;
      moves.add(new CommitManifest.Move(commitLog.relative(file.temp()), commitLog.relative(finalPath(file.target(), name))));
    }
    if (batch.deadLetters() > 0) {
      deadLetters.flush();
    }
    CommitManifest manifest = new CommitManifest(batch.firstOffset(), batch.lastOffset(), batch.rows(), moves);
    try {
      commitLog.commit(tp.topic(), tp.partition(), manifest, batch.tempDir());
    } catch (FencedException e) {
      fencedCommits.incrementAndGet();
      log.warn("{}", e.getMessage());
      // Nothing more for this partition until the consumer thread has recovered it and re-seeked.
      batches.remove(tp);
      fenced.add(tp);
      reseeked.add(tp);
      return;
    }
    log.debug("committed {} {}..{} ({} rows, {} files, {} dead letters): {}", tp, batch.firstOffset(), batch.lastOffset(),
        batch.rows(), moves.size(), batch.deadLetters(), why);
    recordsWritten.addAndGet(batch.rows());
    filesWritten.addAndGet(moves.size());
    commits.incrementAndGet();
    batches.put(tp, new PartitionBatch(tp, batch.lastOffset() + 1));
    offsetsToCommit.put(tp, new OffsetAndMetadata(batch.lastOffset() + 1));
  }

  /**
   * Closes the open files of the batches about to be committed, spread over this thread and the decode
   * threads (idle between polls): closing is the last row group's encoding and compression, the footer
   * and an fsync, and several batches often come due at once (caught up, idle). commitBatch then finds
   * them closed.
   */
  private void closeFiles(Collection<TopicPartition> partitions) throws IOException {
    List<OpenFile> files = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      PartitionBatch batch = batches.get(tp);
      if (batch != null) {
        files.addAll(batch.files());
      }
    }
    if (decodePool == null || files.size() < 2) {
      return; // commitBatch closes them
    }
    List<java.util.concurrent.Future<?>> closing = new ArrayList<>();
    for (int i = 1; i < files.size(); i++) {
      OpenFile file = files.get(i);
      closing.add(decodePool.submit(() -> {
        file.close();
        return null;
      }));
    }
    IOException failed = null;
    try {
      files.get(0).close();
    } catch (IOException e) {
      failed = e;
    }
    for (java.util.concurrent.Future<?> f : closing) {
      try {
        f.get();
      } catch (ExecutionException e) {
        IOException io = e.getCause() instanceof IOException x ? x : new IOException(e.getCause());
        if (failed == null) {
          failed = io;
        } else {
          failed.addSuppressed(io);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while closing files");
      }
    }
    if (failed != null) {
      throw failed;
    }
  }

  private Path finalPath(Target target, DataFileName name) {
    Path dir = new Path(new Path(storage.root(), target.table().name()), "run_id=" + target.runId());
    if (target.kind() != null) {
      dir = new Path(dir, "kind=" + target.kind());
    }
    return new Path(dir, name.format());
  }

  private void commitAll(String why) throws IOException {
    for (TopicPartition tp : new ArrayList<>(batches.keySet())) {
      commitBatch(tp, why);
    }
  }

  /** Drops a batch without making anything visible (its files are left for recovery to delete). */
  private void abandon(TopicPartition tp) {
    PartitionBatch batch = batches.remove(tp);
    if (batch == null) {
      return;
    }
    for (OpenFile file : batch.files()) {
      openFilesNow = --openFiles;
      try {
        file.close();
      } catch (IOException | RuntimeException e) {
        log.debug("closing abandoned file {}: {}", file.temp(), e.toString());
      }
    }
  }

  private void abandonAll() {
    for (TopicPartition tp : new ArrayList<>(batches.keySet())) {
      abandon(tp);
    }
  }

  /** Recovers a partition from the dataset and positions the consumer where the dataset ends. */
  private PartitionBatch recoverAndSeek(TopicPartition tp) throws IOException {
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
      consumer.commitSync(Map.of(tp, new OffsetAndMetadata(resume)));
    }
    return new PartitionBatch(tp, resume);
  }

  private void commitOffsetsAsync() {
    if (offsetsToCommit.isEmpty()) {
      return;
    }
    consumer.commitAsync(new HashMap<>(offsetsToCommit), (offsets, e) -> {
      if (e != null) {
        // Only a hint: the dataset says where to resume. The next commit carries newer offsets.
        log.debug("offset commit failed: {}", e.toString());
      }
    });
    offsetsToCommit.clear();
  }

  private void commitOffsetsSync() {
    if (offsetsToCommit.isEmpty()) {
      return;
    }
    try {
      consumer.commitSync(new HashMap<>(offsetsToCommit), Duration.ofSeconds(10));
    } catch (RuntimeException e) {
      log.warn("offset commit failed (the dataset stays the source of truth): {}", e.toString());
    }
    offsetsToCommit.clear();
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
      awaitWriterInCallback(); // the batches are committed here, so the writer must be done with them
      revoked.forEach(fenced::remove);
      try {
        for (TopicPartition tp : revoked) {
          commitBatch(tp, "rebalance");
          batches.remove(tp);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      commitOffsetsSync();
      partitions = batches.size();
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
      // Someone else may own them already: commit nothing, write nothing more.
      log.warn("partitions lost (the group moved on without us): {}", lost);
      awaitWriterInCallback();
      lost.forEach(fenced::remove);
      lost.forEach(Collector.this::abandon);
      lost.forEach(offsetsToCommit::remove);
      partitions = batches.size();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
      awaitWriterInCallback();
      assigned.forEach(fenced::remove); // recovered below
      // Re-seeked below: what this poll returns for them is read after the seek and must be written. (A fence found
      // while they were revoked left them in reseeked; skipping their fresh records would commit past a gap.)
      assigned.forEach(reseeked::remove);
      try {
        for (TopicPartition tp : assigned) {
          batches.put(tp, recoverAndSeek(tp));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      partitions = batches.size();
      log.info("assigned {}", assigned);
    }
  }

  // ---------------------------------------------------------------- Kafka administration

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

  private void checkBrokers() {
    try {
      admin.describeCluster().nodes().get(config.startupTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      throw new ServiceUnavailableException("no Kafka broker answered at " + config.bootstrapServers() + " within "
          + config.startupTimeout().toSeconds() + " s. Check " + CollectorConfig.BOOTSTRAP_SERVERS + " and that the broker runs.", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MonkeyException(dev.activationmonkey.errors.ExitCode.INTERRUPTED, "interrupted", e);
    }
  }

  /** Creates missing dead-letter topics, so the first bad record does not wait on auto-creation (or fail without it). */
  private void ensureDeadLetterTopics() {
    Set<String> wanted = new HashSet<>();
    config.topics().forEach(t -> wanted.add(config.deadLetterTopic(t)));
    try {
      Set<String> existing = admin.listTopics().names().get(config.startupTimeout().toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t))
          .map(t -> new NewTopic(t, java.util.Optional.empty(), java.util.Optional.empty())).toList();
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

  private Map<TopicPartition, Long> endOffsets() throws InterruptedException {
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
}
