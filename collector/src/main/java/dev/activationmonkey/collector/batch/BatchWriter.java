package dev.activationmonkey.collector.batch;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.collector.batch.PartitionBatch.OpenFile;
import dev.activationmonkey.collector.batch.PartitionBatch.Target;
import dev.activationmonkey.collector.dataset.CommitLog;
import dev.activationmonkey.collector.dataset.CommitManifest;
import dev.activationmonkey.collector.dataset.DataFileName;
import dev.activationmonkey.collector.dataset.FencedException;
import dev.activationmonkey.collector.dataset.Storage;
import dev.activationmonkey.collector.deadletter.DeadLetterQueue;
import dev.activationmonkey.collector.ingest.RecordDecoder;
import dev.activationmonkey.collector.parquet.ParquetFiles;
import dev.activationmonkey.collector.parquet.Row;
import dev.activationmonkey.collector.parquet.Tables;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.hadoop.fs.Path;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch lifecycle of the partitions a collector owns: decoded records go into one {@link PartitionBatch}
 * per topic-partition (one open Parquet file per table, run and kind), and a batch is committed (made
 * visible, see {@link CommitLog}) when it is due: by record count, by size, when idle, by age, when the
 * buffered bytes exceed their bound, when its least recently used file must make room for another, when its
 * partition is revoked, or at shutdown. A commit another collector got to first is fenced: nothing of the
 * batch becomes visible, and the partition waits for the consumer thread to recover it ({@link #takeFenced()}).
 * A lost partition's batch is abandoned: nothing of it is committed.
 *
 * <p>Not thread-safe: one thread at a time, with a happens-before between them (the collector's writer thread
 * during a task, its consumer thread between tasks). The counters may be read by any thread.
 */
public final class BatchWriter {
  private static final Logger log = LoggerFactory.getLogger(BatchWriter.class);
  private static final String[] KIND_DIRECTORIES = Arrays.stream(Kind.values())
      .map(k -> k.name().toLowerCase(Locale.ROOT)).toArray(String[]::new);

  /** When batches are committed, and how files are written; see the keys of the same names in CollectorConfig. */
  public record Limits(long rotateRecords, long rotateBytes, Duration flushIdle, Duration flushMaxAge, int maxOpenFiles,
      long bufferMemoryBytes, long rowGroupBytes, int zstdLevel) {
    public Limits {
      requireNonNull(flushIdle, "flushIdle is null");
      requireNonNull(flushMaxAge, "flushMaxAge is null");
    }
  }

  private final Limits limits;
  private final Storage storage;
  private final CommitLog commitLog;
  private final DeadLetterQueue deadLetters;
  /** Threads that close files in parallel when several batches come due at once; null: this thread closes them. */
  private final ExecutorService closePool;

  private final Map<TopicPartition, PartitionBatch> batches = new HashMap<>();
  private final Map<TopicPartition, OffsetAndMetadata> offsetsToCommit = new HashMap<>();
  private int openFiles;
  private long tick;
  /** Partitions whose commit was fenced, for the consumer thread to recover and re-seek. */
  private final Set<TopicPartition> fenced = new HashSet<>();
  /** Partitions whose batch's temp files vanished while closing them ahead of the commit: dropped as fenced. */
  private final Set<TopicPartition> vanished = new HashSet<>();
  /** Partitions re-positioned during the current task's records: the rest of that poll is stale for them. */
  private final Set<TopicPartition> reseeked = new HashSet<>();

  // Read by any thread.
  private final AtomicLong recordsWritten = new AtomicLong();
  private final AtomicLong filesWritten = new AtomicLong();
  private final AtomicLong deadLettersSent = new AtomicLong();
  private final AtomicLong commits = new AtomicLong();
  private final AtomicLong fencedCommits = new AtomicLong();
  private volatile int openFilesNow;
  private volatile long bufferedBytes;

  public BatchWriter(Limits limits, CommitLog commitLog, DeadLetterQueue deadLetters, ExecutorService closePool) {
    this.limits = requireNonNull(limits, "limits is null");
    this.commitLog = requireNonNull(commitLog, "commitLog is null");
    this.storage = commitLog.storage();
    this.deadLetters = requireNonNull(deadLetters, "deadLetters is null");
    this.closePool = closePool;
  }

  // ---------------------------------------------------------------- counters (any thread)

  /** Rows made visible since start. */
  public long recordsWritten() {
    return recordsWritten.get();
  }

  public long filesWritten() {
    return filesWritten.get();
  }

  public long deadLettersSent() {
    return deadLettersSent.get();
  }

  public long commits() {
    return commits.get();
  }

  public long fencedCommits() {
    return fencedCommits.get();
  }

  public int openFiles() {
    return openFilesNow;
  }

  /** Bytes held by open files that were not due for a commit at the last {@link #maintain}. */
  public long bufferedBytes() {
    return bufferedBytes;
  }

  // ---------------------------------------------------------------- ownership (consumer thread, between tasks)

  /** Starts a partition's batch at {@code firstOffset}: where the dataset ends, and the consumer was positioned. */
  public void startBatch(TopicPartition tp, long firstOffset) {
    batches.put(tp, new PartitionBatch(tp, firstOffset));
  }

  /** Partitions owned now. */
  public int partitions() {
    return batches.size();
  }

  /**
   * Records of the owned partitions not yet visible: the consumer's lag plus what the batches hold. A consumer re-seeked
   * past the high watermark it last fetched (a fenced partition recovered where another collector's commits end) reports
   * a negative lag until it fetches again: counted as none.
   */
  public long lag(Function<TopicPartition, OptionalLong> consumerLag) {
    long sum = 0;
    for (PartitionBatch batch : batches.values()) {
      OptionalLong behind = consumerLag.apply(batch.partition());
      sum += (behind.isPresent() ? Math.max(0, behind.getAsLong()) : 0) + (batch.nextOffset() - batch.firstOffset());
    }
    return sum;
  }

  /** The offsets of the batches committed since the last call, for the group; cleared. */
  public Map<TopicPartition, OffsetAndMetadata> takeOffsetsToCommit() {
    if (offsetsToCommit.isEmpty()) {
      return Map.of();
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(offsetsToCommit);
    offsetsToCommit.clear();
    return offsets;
  }

  /** The partitions fenced since the last call: their batches are gone; recover them and {@link #startBatch} again. */
  public Set<TopicPartition> takeFenced() {
    if (fenced.isEmpty()) {
      return Set.of();
    }
    Set<TopicPartition> taken = new HashSet<>(fenced);
    fenced.clear();
    return taken;
  }

  /** Revoked partitions: their batches are committed now, before another collector takes them over. */
  public void revoke(Collection<TopicPartition> revoked) throws IOException {
    revoked.forEach(fenced::remove);
    for (TopicPartition tp : revoked) {
      commitBatch(tp, "rebalance");
      batches.remove(tp);
    }
  }

  /** Lost partitions (someone else may own them already): their batches are dropped, nothing of them committed. */
  public void lose(Collection<TopicPartition> lost) {
    lost.forEach(fenced::remove);
    lost.forEach(vanished::remove);
    lost.forEach(this::abandon);
    lost.forEach(offsetsToCommit::remove);
  }

  /**
   * Newly assigned partitions, before their batches are started: fences found while they were revoked no
   * longer apply, and what the next poll returns for them is read after their seek and must be written.
   * (Skipping their fresh records would commit past a gap.)
   */
  public void assigned(Collection<TopicPartition> assigned) {
    assigned.forEach(fenced::remove);
    assigned.forEach(reseeked::remove);
  }

  // ---------------------------------------------------------------- a writer task

  /**
   * Starts a task of one poll's records. Fences found before it (in maintenance or a rebalance) were re-seeked
   * by the consumer thread, which dropped their records fetched before the seek: its records are all to be written.
   */
  public void beginTask() {
    reseeked.clear();
  }

  /** Writes one record (or sends it to the dead-letter topic), then commits its batch if it holds enough records. */
  public void write(ConsumerRecord<byte[], ByteBuffer> record, RecordDecoder.Result result, long now) throws IOException {
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
    if (batch.records() >= limits.rotateRecords()) {
      commitBatch(tp, "records");
    }
  }

  /**
   * Rotation by size, idle time, age and the memory bound; a batch that reached its partition's {@code flushTargets}
   * offset is committed at once ("caught up").
   */
  public void maintain(long now, Map<TopicPartition, Long> flushTargets) throws IOException {
    Map<TopicPartition, String> due = new LinkedHashMap<>();
    long total = 0;
    for (PartitionBatch batch : new ArrayList<>(batches.values())) {
      if (batch.isEmpty()) {
        continue;
      }
      long size = batch.updateSizeEstimate();
      Long flushTarget = flushTargets.get(batch.partition());
      String why = flushTarget != null && batch.nextOffset() >= flushTarget ? "caught up"
          : size >= limits.rotateBytes() ? "bytes"
          : now - batch.lastAppendNanos() >= limits.flushIdle().toNanos() ? "idle"
          : now - batch.startedNanos() >= limits.flushMaxAge().toNanos() ? "age"
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
    while (total > limits.bufferMemoryBytes()) {
      PartitionBatch largest = batches.values().stream()
          .filter(b -> !b.isEmpty())
          .max(Comparator.comparingLong(PartitionBatch::sizeEstimate))
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

  /** Commits every batch (at shutdown). */
  public void commitAll(String why) throws IOException {
    for (TopicPartition tp : new ArrayList<>(batches.keySet())) {
      commitBatch(tp, why);
    }
  }

  /** Drops every batch without making anything visible (after a failure: recovery deletes their files). */
  public void abandonAll() {
    for (TopicPartition tp : new ArrayList<>(batches.keySet())) {
      abandon(tp);
    }
  }

  // ---------------------------------------------------------------- internals

  /** Keeps the open files under the cap: commits the batch of the least recently used file. */
  private PartitionBatch makeRoomForFile(PartitionBatch current) throws IOException {
    while (openFiles >= limits.maxOpenFiles()) {
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
        ParquetFiles.open(target.table(), storage.outputFile(temp), limits.rowGroupBytes(), limits.zstdLevel()));
    openFilesNow = ++openFiles; // the gauge follows every open and close, not just the end of a poll
    return file;
  }

  /** Makes a partition's batch visible (see {@link CommitLog}); starts the next batch after it. */
  private void commitBatch(TopicPartition tp, String why) throws IOException {
    PartitionBatch batch = batches.get(tp);
    if (batch == null || batch.isEmpty()) {
      return;
    }
    if (vanished.remove(tp)) {
      dropVanished(tp, null);
      return;
    }
    for (OpenFile file : batch.files()) {
      try {
        file.close();
      } catch (IOException e) {
        if (!anyTempFileVanished(batch)) {
          throw e;
        }
        dropVanished(tp, e);
        return;
      }
    }
    List<CommitManifest.Move> moves = new ArrayList<>();
    DataFileName name = new DataFileName(tp.topic(), tp.partition(), batch.firstOffset(), batch.lastOffset());
    for (OpenFile file : batch.files()) {
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
   * Closes the open files of the batches about to be committed, spread over this thread and the close pool
   * (the decode threads, idle between polls): closing is the last row group's encoding and compression, the
   * footer and an fsync, and several batches often come due at once (caught up, idle). commitBatch then finds
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
    if (closePool == null || files.size() < 2) {
      return; // commitBatch closes them
    }
    List<Future<?>> closing = new ArrayList<>();
    for (int i = 1; i < files.size(); i++) {
      OpenFile file = files.get(i);
      closing.add(closePool.submit(() -> {
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
    for (Future<?> f : closing) {
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
        throw new InterruptedIOException("interrupted while closing files");
      }
    }
    if (failed != null) {
      // A batch whose temp files another collector's commit removed is fenced (commitBatch drops it); any other
      // failure stops the collector.
      Set<TopicPartition> gone = new HashSet<>();
      for (TopicPartition tp : partitions) {
        PartitionBatch batch = batches.get(tp);
        if (batch != null && anyTempFileVanished(batch)) {
          gone.add(tp);
        }
      }
      if (gone.isEmpty()) {
        throw failed;
      }
      log.debug("closing files of {} whose temp files vanished: {}", gone, failed.toString());
      vanished.addAll(gone);
    }
  }

  /**
   * True if a file of the batch no longer exists: another collector's commit of this partition removed this
   * batch's temp directory as a leftover (see {@link CommitLog}), so it can never be committed. Locally the open
   * files stay writable after the removal and the commit itself is fenced; on HDFS closing a removed file fails
   * (the NameNode no longer knows it: "File does not exist ... [Lease. Holder: ...]").
   */
  private boolean anyTempFileVanished(PartitionBatch batch) throws IOException {
    for (OpenFile file : batch.files()) {
      if (!storage.exists(file.temp())) {
        return true;
      }
    }
    return false;
  }

  /** Drops a batch whose temp files vanished as a fenced one: nothing visible, the partition recovered and re-seeked. */
  private void dropVanished(TopicPartition tp, IOException cause) {
    fencedCommits.incrementAndGet();
    log.warn("{} fenced: another collector's commit removed this batch's temp files{}", tp,
        cause == null ? "" : " (" + cause.getMessage().lines().findFirst().orElse("") + ")");
    abandon(tp);
    fenced.add(tp);
    reseeked.add(tp);
  }

  private Path finalPath(Target target, DataFileName name) {
    Path dir = new Path(new Path(storage.root(), target.table().name()), "run_id=" + target.runId());
    if (target.kind() != null) {
      dir = new Path(dir, "kind=" + target.kind());
    }
    return new Path(dir, name.format());
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
}
