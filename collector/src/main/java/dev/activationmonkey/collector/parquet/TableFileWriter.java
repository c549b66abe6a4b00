package dev.activationmonkey.collector.parquet;

import static java.util.Objects.requireNonNull;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnWriteStore;
import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ColumnChunkPageWriteStore;
import org.apache.parquet.hadoop.ParquetFileWriter;

/**
 * One Parquet file of a table, written row by row straight into parquet-java's column writers.
 *
 * <p>It does what {@code ParquetWriter}'s internal record writer does (row groups of about
 * {@code rowGroupBytes}, pages, compression, footer) but hands each {@link Column} the leaf
 * {@link ColumnWriter}s instead of a {@code RecordConsumer}, so a list element is one
 * {@code write(value, r, d)} call. Not thread-safe: one writer thread per file.
 */
public final class TableFileWriter<T> implements Closeable {
  private final Table<T> table;
  private final ParquetFileWriter file;
  private final ParquetProperties properties;
  private final CodecFactory codecs;
  private final CodecFactory.BytesCompressor compressor;
  private final long rowGroupBytes;
  private final Map<String, String> metadata;
  private final List<ColumnDescriptor> descriptors;
  private ColumnChunkPageWriteStore pages;
  private ColumnWriteStore store;
  private Leaves writers;
  private long rowsInGroup;
  private long nextSizeCheck;
  private boolean closed;

  TableFileWriter(Table<T> table, ParquetFileWriter file, ParquetProperties properties, CodecFactory codecs,
      CodecFactory.BytesCompressor compressor, long rowGroupBytes, Map<String, String> metadata) throws IOException {
    this.table = requireNonNull(table, "table is null");
    this.file = requireNonNull(file, "file is null");
    this.properties = requireNonNull(properties, "properties is null");
    this.codecs = requireNonNull(codecs, "codecs is null");
    this.compressor = requireNonNull(compressor, "compressor is null");
    this.rowGroupBytes = rowGroupBytes;
    this.metadata = Map.copyOf(metadata);
    this.descriptors = table.schema().getColumns();
    file.start();
    startRowGroup();
  }

  public void write(T row) throws IOException {
    table.write(row, writers);
    store.endRecord();
    if (++rowsInGroup >= nextSizeCheck) {
      checkRowGroupSize();
    }
  }

  /** Bytes written to the file so far plus those buffered for the current row group (compressed pages and open pages). */
  public long dataSize() {
    try {
      return file.getPos() + store.getBufferedSize();
    } catch (IOException e) {
      return store.getBufferedSize();
    }
  }

  /** Writes the last row group and the footer, and closes (fsyncs, for the dataset's storage) the file. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      flushRowGroup();
      file.end(metadata);
    } finally {
      codecs.release();
    }
  }

  private void startRowGroup() {
    pages = new ColumnChunkPageWriteStore(compressor, table.schema(), properties.getAllocator(),
        properties.getColumnIndexTruncateLength(), properties.getPageWriteChecksumEnabled());
    store = properties.newColumnWriteStore(table.schema(), pages, pages);
    ColumnWriter[] leaves = new ColumnWriter[descriptors.size()];
    for (int i = 0; i < leaves.length; i++) {
      leaves[i] = store.getColumnWriter(descriptors.get(i));
    }
    writers = new Leaves(leaves);
    rowsInGroup = 0;
    nextSizeCheck = 100;
  }

  /** Like parquet-java's record writer: estimate when the row group will be full and look again then. */
  private void checkRowGroupSize() throws IOException {
    long buffered = store.getBufferedSize();
    if (buffered >= rowGroupBytes) {
      flushRowGroup();
      startRowGroup();
      return;
    }
    double perRow = (double) buffered / rowsInGroup;
    long rowsToFull = perRow <= 0 ? 10_000 : (long) ((rowGroupBytes - buffered) / perRow);
    nextSizeCheck = rowsInGroup + Math.max(100, Math.min(10_000, rowsToFull / 2));
  }

  private void flushRowGroup() throws IOException {
    if (rowsInGroup > 0) {
      file.startBlock(rowsInGroup);
      store.flush();
      pages.flushToFileWriter(file);
      file.endBlock();
    }
    store.close();
  }
}
