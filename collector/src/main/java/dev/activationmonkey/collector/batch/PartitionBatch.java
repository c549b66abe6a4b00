package dev.activationmonkey.collector.batch;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.collector.parquet.Row;
import dev.activationmonkey.collector.parquet.Table;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.kafka.common.TopicPartition;
import dev.activationmonkey.collector.parquet.TableFileWriter;

/**
 * The records of one topic-partition consumed since its last commit: a contiguous offset range
 * starting at {@link #firstOffset()}, spread over one open Parquet file per table, run and kind, all
 * in one temp directory. It becomes visible as a whole, by one commit.
 */
public final class PartitionBatch {
  /** Where a row goes: a table, a run, and for snapshots a kind (null for run-level tables). */
  public record Target(Table<Row> table, String runId, String kind) {
    public Target {
      requireNonNull(table, "table is null");
      requireNonNull(runId, "runId is null");
    }
  }

  /** An open temp file of this batch. */
  public static final class OpenFile {
    private final PartitionBatch batch;
    private final Target target;
    private final Path temp;
    private final TableFileWriter<Row> writer;
    private long rows;
    private long lastUse;

    OpenFile(PartitionBatch batch, Target target, Path temp, TableFileWriter<Row> writer) {
      this.batch = batch;
      this.target = target;
      this.temp = temp;
      this.writer = writer;
    }

    public PartitionBatch batch() {
      return batch;
    }

    public Target target() {
      return target;
    }

    public Path temp() {
      return temp;
    }

    public long rows() {
      return rows;
    }

    public long lastUse() {
      return lastUse;
    }

    public long dataSize() {
      return writer.dataSize();
    }

    public void write(Row row, long tick) throws IOException {
      writer.write(row);
      rows++;
      lastUse = tick;
    }

    public void close() throws IOException {
      writer.close();
    }
  }

  private final TopicPartition partition;
  private final long firstOffset;
  private final Map<Target, OpenFile> files = new HashMap<>();
  private Path tempDir;
  private long lastOffset = -1;
  private long rows;
  private long deadLetters;
  private long startedNanos;
  private long lastAppendNanos;
  private long sizeEstimate;

  public PartitionBatch(TopicPartition partition, long firstOffset) {
    this.partition = requireNonNull(partition, "partition is null");
    this.firstOffset = firstOffset;
  }

  public TopicPartition partition() {
    return partition;
  }

  public long firstOffset() {
    return firstOffset;
  }

  /** The last offset consumed into this batch, or -1 if none. */
  public long lastOffset() {
    return lastOffset;
  }

  /** The next offset this batch expects. */
  public long nextOffset() {
    return lastOffset < 0 ? firstOffset : lastOffset + 1;
  }

  public boolean isEmpty() {
    return lastOffset < 0;
  }

  public long rows() {
    return rows;
  }

  public long deadLetters() {
    return deadLetters;
  }

  /** Records consumed into this batch: rows and dead letters. */
  public long records() {
    return rows + deadLetters;
  }

  public long startedNanos() {
    return startedNanos;
  }

  public long lastAppendNanos() {
    return lastAppendNanos;
  }

  public Path tempDir() {
    return tempDir;
  }

  public void tempDir(Path dir) {
    this.tempDir = dir;
  }

  public OpenFile file(Target target) {
    return files.get(target);
  }

  public List<OpenFile> files() {
    return new ArrayList<>(files.values());
  }

  public OpenFile addFile(Target target, Path temp, TableFileWriter<Row> writer) {
    OpenFile file = new OpenFile(this, target, temp, writer);
    files.put(target, file);
    return file;
  }

  /** Records that an offset was consumed into this batch, as a row or as a dead letter. */
  public void consumed(long offset, boolean deadLetter, long nowNanos) {
    if (lastOffset < 0) {
      startedNanos = nowNanos;
    }
    lastOffset = offset;
    lastAppendNanos = nowNanos;
    if (deadLetter) {
      deadLetters++;
    } else {
      rows++;
    }
  }

  /** Bytes held by this batch's open files (written and buffered), recomputed. */
  public long updateSizeEstimate() {
    long size = 0;
    for (OpenFile file : files.values()) {
      size += file.dataSize();
    }
    sizeEstimate = size;
    return size;
  }

  public long sizeEstimate() {
    return sizeEstimate;
  }
}
