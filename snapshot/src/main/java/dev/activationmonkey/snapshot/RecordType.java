package dev.activationmonkey.snapshot;

import dev.activationmonkey.snapshot.avro.Evaluation;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.RunEnd;
import dev.activationmonkey.snapshot.avro.RunStart;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * The record types that travel on a snapshot topic. Each has a current Avro schema and, where the
 * format evolved, the frozen schemas of earlier versions (resources under {@code history/}) so that
 * current readers still decode what older trainers wrote.
 */
public enum RecordType {
  LAYER_SNAPSHOT(LayerSnapshot.class, LayerSnapshot.getClassSchema(), "snapshots", List.of("LayerSnapshot-v1.avsc")),
  RUN_START(RunStart.class, RunStart.getClassSchema(), "runs", List.of()),
  EVALUATION(Evaluation.class, Evaluation.getClassSchema(), "evaluations", List.of()),
  RUN_END(RunEnd.class, RunEnd.getClassSchema(), "run_ends", List.of("RunEnd-v1.avsc"));

  private final Class<? extends SpecificRecordBase> javaClass;
  private final Schema schema;
  private final String tableName;
  private final List<Schema> historicSchemas;
  private final BinaryMessageEncoder<SpecificRecordBase> encoder;
  private final BinaryMessageDecoder<SpecificRecordBase> decoder;

  RecordType(Class<? extends SpecificRecordBase> javaClass, Schema schema, String tableName, List<String> history) {
    this.javaClass = javaClass;
    this.schema = schema;
    this.tableName = tableName;
    this.historicSchemas = history.stream().map(RecordType::loadHistoric).toList();
    this.encoder = new BinaryMessageEncoder<>(SpecificData.get(), schema);
    this.decoder = new BinaryMessageDecoder<>(SpecificData.get(), schema);
    historicSchemas.forEach(decoder::addSchema);
  }

  /** The generated Avro class of this type. */
  public Class<? extends SpecificRecordBase> javaClass() {
    return javaClass;
  }

  /** The schema writers use now. */
  public Schema schema() {
    return schema;
  }

  /** Earlier versions of the schema that readers still accept, oldest first. */
  public List<Schema> historicSchemas() {
    return historicSchemas;
  }

  /** The name of the table (dataset directory) records of this type land in. */
  public String tableName() {
    return tableName;
  }

  BinaryMessageEncoder<SpecificRecordBase> encoder() {
    return encoder;
  }

  BinaryMessageDecoder<SpecificRecordBase> decoder() {
    return decoder;
  }

  /** The type of a record instance; fails for classes that are not snapshot-topic records. */
  public static RecordType of(SpecificRecordBase record) {
    for (RecordType type : values()) {
      if (type.javaClass.isInstance(record)) {
        return type;
      }
    }
    throw new IllegalArgumentException("not a snapshot-topic record: " + record.getClass().getName());
  }

  private static Schema loadHistoric(String resource) {
    try (InputStream in = RecordType.class.getResourceAsStream("history/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("missing schema resource history/" + resource);
      }
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
