package dev.activationmonkey.collector.parquet;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.snapshot.RecordType;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * A decoded record with where it came from: what one table row is made of.
 *
 * @param formatVersion the version of the record type's schema the producer wrote (1 for a
 *     version-1 LayerSnapshot resolved to the current schema)
 */
public record Row(SpecificRecordBase record, RecordType type, int formatVersion, String topic, int partition, long offset) {
  public Row {
    requireNonNull(record, "record is null");
    requireNonNull(type, "type is null");
    requireNonNull(topic, "topic is null");
  }
}
