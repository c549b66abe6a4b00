package dev.activationmonkey.collector.parquet;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.api.RecordConsumer;

/**
 * Writes rows straight from the decoded Avro objects to Parquet's record consumer. Chosen over
 * parquet-avro with a derived flat schema because it skips building an intermediate GenericRecord per
 * row and parquet-avro's per-field schema dispatch (the collector's hot path), and it gives exact
 * control over the column names the analytics read (partition_id, not worker_partition_id).
 */
final class RowWriteSupport<T> extends WriteSupport<T> {
  private final Table<T> table;
  private final Map<String, String> metadata;
  private RecordConsumer out;

  RowWriteSupport(Table<T> table, Map<String, String> metadata) {
    this.table = requireNonNull(table, "table is null");
    this.metadata = Map.copyOf(metadata);
  }

  @Override
  public WriteContext init(Configuration configuration) {
    return new WriteContext(table.schema(), metadata);
  }

  @Override
  public void prepareForWrite(RecordConsumer recordConsumer) {
    this.out = recordConsumer;
  }

  @Override
  public void write(T row) {
    table.write(row, out);
  }

  @Override
  public String getName() {
    return "activation-monkey";
  }
}
