package dev.activationmonkey.collector.parquet;

import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.values.factory.DefaultValuesWriterFactory;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;

/**
 * Opens Parquet writers with the dataset's settings: ZSTD, byte-stream-split for the float and double
 * columns (their mantissas compress poorly; split into byte planes the exponents and high bytes
 * compress well), dictionaries for the repetitive strings only, format v1 pages (read by every engine).
 */
public final class ParquetFiles {
  private ParquetFiles() {}

  /** Key-value metadata written into every file's footer. */
  public static final String CREATED_BY_KEY = "activation-monkey.table";

  private static final int PAGE_BYTES = 1 << 20;

  public static TableFileWriter<Row> open(Table<Row> table, OutputFile file, long rowGroupBytes, int zstdLevel)
      throws IOException {
    Configuration conf = new Configuration(false);
    conf.setInt("parquet.compression.codec.zstd.level", zstdLevel);
    // Reuse zstd-jni's buffers across pages and files instead of allocating them per page.
    conf.setBoolean("parquet.compression.codec.zstd.bufferPool.enabled", true);
    ParquetProperties.Builder properties = ParquetProperties.builder()
        .withPageSize(PAGE_BYTES)
        .withDictionaryEncoding(false)
        .withByteStreamSplitEncoding(true)
        .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
        // Same encodings, primitive-array buffers for the fixed-width columns (see ArrayValuesWriters).
        .withValuesWriterFactory(new ArrayValuesWriters(new DefaultValuesWriterFactory()));
    // Dictionaries only for strings (hosts, layer names, ...). Floats and doubles are near-unique: a
    // dictionary for them costs hashing, rehashing and a fallback re-encode per page, for nothing.
    for (ColumnDescriptor column : table.schema().getColumns()) {
      if (column.getPrimitiveType().getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BINARY) {
        properties.withDictionaryEncoding(String.join(".", column.getPath()), true);
      }
    }
    ParquetProperties props = properties.build();
    CodecFactory codecs = new CodecFactory(conf, props.getPageSizeThreshold());
    ParquetFileWriter writer = new ParquetFileWriter(file, table.schema(), ParquetFileWriter.Mode.OVERWRITE, rowGroupBytes,
        0, props.getColumnIndexTruncateLength(), props.getStatisticsTruncateLength(), props.getPageWriteChecksumEnabled());
    try {
      return new TableFileWriter<>(table, writer, props, codecs, codecs.getCompressor(CompressionCodecName.ZSTD), rowGroupBytes,
          Map.of(CREATED_BY_KEY, table.name()));
    } catch (IOException | RuntimeException e) {
      codecs.release();
      throw e;
    }
  }
}
