package dev.activationmonkey.collector.parquet;

import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
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

  public static ParquetWriter<Row> open(Table<Row> table, OutputFile file, long rowGroupBytes, int zstdLevel)
      throws IOException {
    Configuration conf = new Configuration(false);
    conf.setInt("parquet.compression.codec.zstd.level", zstdLevel);
    // Reuse zstd-jni's buffers across pages and files instead of allocating them per page.
    conf.setBoolean("parquet.compression.codec.zstd.bufferPool.enabled", true);
    Builder builder = new Builder(file, table);
    // Dictionaries only for strings (hosts, layer names, ...). Floats and doubles are near-unique: a
    // dictionary for them costs hashing, rehashing and a fallback re-encode per page, for nothing.
    for (ColumnDescriptor column : table.schema().getColumns()) {
      if (column.getPrimitiveType().getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BINARY) {
        builder.withDictionaryEncoding(String.join(".", column.getPath()), true);
      }
    }
    return builder
        .withConf(conf)
        .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
        .withCompressionCodec(CompressionCodecName.ZSTD)
        .withByteStreamSplitEncoding(true)
        .withDictionaryEncoding(false)
        .withRowGroupSize(rowGroupBytes)
        .withPageSize(1 << 20)
        .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
        .withValidation(false)
        .build();
  }

  private static final class Builder extends ParquetWriter.Builder<Row, Builder> {
    private final Table<Row> table;

    Builder(OutputFile file, Table<Row> table) {
      super(file);
      this.table = table;
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    protected WriteSupport<Row> getWriteSupport(Configuration conf) {
      return new RowWriteSupport<>(table, Map.of(CREATED_BY_KEY, table.name()));
    }
  }
}
