package dev.activationmonkey.collector.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.collector.TestRecords;
import dev.activationmonkey.snapshot.RecordType;
import dev.activationmonkey.snapshot.SnapshotCodec;
import dev.activationmonkey.snapshot.avro.ActivationSample;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

class RecordDecoderTest {
  private final RecordDecoder decoder = new RecordDecoder();
  private final LayerSnapshot good = TestRecords.snapshot("run-1", 2, 10, 1, Kind.ACTIVATION, 4, true);

  private Rejection reject(byte[] bytes) {
    RecordDecoder.Result result = decoder.decode(bytes, "t", 0, 7);
    assertNull(result.row());
    assertNotNull(result.rejection());
    assertTrue(!result.rejection().message().isBlank());
    return result.rejection();
  }

  @Test
  void decodesACurrentRecordWithItsCoordinatesAndVersion() {
    RecordDecoder.Result result = decoder.decode(SnapshotCodec.INSTANCE.encode(good), "t", 3, 42);
    assertNull(result.rejection());
    assertEquals(good, result.row().record());
    assertEquals(RecordType.LAYER_SNAPSHOT, result.row().type());
    assertEquals(2, result.row().formatVersion());
    assertEquals(3, result.row().partition());
    assertEquals(42, result.row().offset());
  }

  @Test
  void aVersionOneRecordIsResolvedAndMarkedVersionOne() throws Exception {
    Schema v1 = RecordType.LAYER_SNAPSHOT.historicSchemas().get(0);
    GenericRecord worker = new GenericData.Record(v1.getField("worker").schema());
    worker.put("partitionId", 1);
    worker.put("attemptNumber", 0);
    worker.put("taskAttemptId", 5L);
    worker.put("executorId", "driver");
    worker.put("host", "h");
    worker.put("thread", "t");
    GenericRecord record = new GenericData.Record(v1);
    for (Schema.Field field : v1.getFields()) {
      switch (field.schema().getType()) {
        case DOUBLE -> record.put(field.name(), 0.5);
        case LONG -> record.put(field.name(), 9L);
        case INT -> record.put(field.name(), 3);
        case STRING -> record.put(field.name(), "x");
        default -> { }
      }
    }
    record.put("runId", "old-run");
    record.put("worker", worker);
    record.put("kind", new GenericData.EnumSymbol(v1.getField("kind").schema(), "GRADIENT"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(SnapshotCodec.MAGIC);
    out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(SnapshotCodec.fingerprintOf(v1)).array());
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(v1).write(record, encoder);
    encoder.flush();

    RecordDecoder.Result result = decoder.decode(out.toByteArray(), "t", 0, 1);

    assertNull(result.rejection(), () -> result.rejection().message());
    assertEquals(1, result.row().formatVersion());
    LayerSnapshot decoded = (LayerSnapshot) result.row().record();
    assertEquals("old-run", decoded.getRunId());
    assertEquals(-1, decoded.getWorker().getStageId(), "v2 field filled with its default");
  }

  @Test
  void rejectsWithTheCodecsReasons() {
    assertEquals("malformed", reject("hello".getBytes()).reason());
    assertEquals("malformed", reject(null).reason());
    byte[] unknown = SnapshotCodec.INSTANCE.encode(good);
    unknown[5] ^= 0x7f;
    assertEquals("unknown-schema", reject(unknown).reason());
    byte[] truncated = java.util.Arrays.copyOf(SnapshotCodec.INSTANCE.encode(good), 30);
    assertEquals("malformed", reject(truncated).reason());
  }

  @Test
  void rejectsRecordsThatBreakTheDatasetsRules() {
    Rejection badRun = reject(SnapshotCodec.INSTANCE.encode(LayerSnapshot.newBuilder(good).setRunId("a/../../b").build()));
    assertEquals(Rejection.INVALID_RECORD, badRun.reason());
    assertTrue(badRun.message().contains("run id"), badRun.message());
    assertEquals(Rejection.INVALID_RECORD, reject(SnapshotCodec.INSTANCE.encode(LayerSnapshot.newBuilder(good).setRunId("").build())).reason());
    LayerSnapshot badSample = LayerSnapshot.newBuilder(good)
        .setSample(ActivationSample.newBuilder().setShape(List.of(2, 3)).setValues(List.of(1f, 2f)).build()).build();
    assertTrue(reject(SnapshotCodec.INSTANCE.encode(badSample)).message().contains("sample shape"));
  }
}
