package dev.activationmonkey.snapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.snapshot.avro.DataSummary;
import dev.activationmonkey.snapshot.avro.Evaluation;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerInfo;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.NetworkSummary;
import dev.activationmonkey.snapshot.avro.RunEnd;
import dev.activationmonkey.snapshot.avro.RunStart;
import dev.activationmonkey.snapshot.avro.RunStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;

class SnapshotCodecTest {
  private final SnapshotCodec codec = SnapshotCodec.INSTANCE;

  @Test
  void layerSnapshotRoundTrips() {
    LayerSnapshot original = Samples.layerSnapshot();
    byte[] bytes = codec.encode(original);
    assertEquals((byte) 0xC3, bytes[0]);
    assertEquals((byte) 0x01, bytes[1]);
    assertEquals(RecordType.LAYER_SNAPSHOT, codec.typeOf(bytes));
    assertEquals(original, codec.decode(bytes));
  }

  @Test
  void runLevelRecordsRoundTrip() {
    RunStart start = RunStart.newBuilder()
        .setRunId("r").setTimestampMillis(Instant.ofEpochMilli(5)).setJobSpec("epochs: 1").setSparkMaster("local[2]")
        .setWorkers(2).setTrainingMaster("parameter-averaging")
        .setNetwork(NetworkSummary.newBuilder().setTotalParameters(100).setUpdater("Adam")
            .setLayers(List.of(LayerInfo.newBuilder().setIndex(0).setName("dense_0").setType("DenseLayer")
                .setActivationFunction("relu").setWeightInit("XAVIER").setInputs(784).setOutputs(10)
                .setParameters(7850).setDropout(null).setL1(null).setL2(1e-4).build())).build())
        .setData(DataSummary.newBuilder().setSource("mnist").setTrainExamples(8000).setTestExamples(2000)
            .setFeatures(784).setClasses(10).setBatchSize(64).build())
        .setTags(Map.of("team", "vision"))
        .build();
    Evaluation evaluation = Evaluation.newBuilder().setRunId("r").setEpoch(0).setIteration(125)
        .setTimestampMillis(Instant.ofEpochMilli(6)).setExamples(2000).setLoss(0.3).setAccuracy(0.91)
        .setPrecision(0.9).setRecall(0.9).setF1(0.9).build();
    RunEnd end = RunEnd.newBuilder().setRunId("r").setTimestampMillis(Instant.ofEpochMilli(7))
        .setStatus(RunStatus.SUCCEEDED).setMessage(null).setEpochs(1).setIterations(125).setDurationMillis(1000)
        .setSnapshotsSent(10).setSnapshotsSpilled(0).setSnapshotsResent(0).setSnapshotsDropped(0).build();
    for (SpecificRecordBase record : List.<SpecificRecordBase>of(start, evaluation, end)) {
      byte[] bytes = codec.encode(record);
      assertEquals(RecordType.of(record), codec.typeOf(bytes));
      assertEquals(record, codec.decode(bytes));
    }
    assertEquals(evaluation, codec.decode(codec.encode(evaluation), Evaluation.class));
  }

  @Test
  void currentReaderDecodesRecordWrittenWithFormatVersion1() {
    Schema v1 = RecordType.LAYER_SNAPSHOT.historicSchemas().get(0);
    GenericRecord old = new GenericData.Record(v1);
    LayerSnapshot current = Samples.layerSnapshot();
    GenericRecord worker = new GenericData.Record(v1.getField("worker").schema());
    worker.put("partitionId", 4);
    worker.put("attemptNumber", 0);
    worker.put("taskAttemptId", 9L);
    worker.put("executorId", "1");
    worker.put("host", "h");
    worker.put("thread", "t");
    for (Schema.Field field : v1.getFields()) {
      if (!field.name().equals("worker")) {
        old.put(field.name(), current.get(field.name()));
      }
    }
    old.put("worker", worker);
    old.put("timestampMillis", 1_700_000_000_000L);
    old.put("kind", new GenericData.EnumSymbol(v1.getField("kind").schema(), "GRADIENT"));
    old.put("parameterName", "W");
    old.put("histogram", null);
    old.put("neurons", null);
    byte[] bytes = encodeGeneric(v1, old);

    LayerSnapshot decoded = codec.decode(bytes, LayerSnapshot.class);

    assertEquals(4, decoded.getWorker().getPartitionId());
    assertEquals(-1, decoded.getWorker().getStageId(), "field added in v2 takes its default");
    assertEquals(Kind.GRADIENT, decoded.getKind());
    assertEquals("W", decoded.getParameterName());
    assertEquals(current.getL2Norm(), decoded.getL2Norm());
    assertNull(decoded.getSample(), "v1 had no raw sample");
    assertNull(decoded.getSaturatedFraction());
  }

  @Test
  void garbageBytesNameWhatWasReceived() {
    byte[] json = "{\"layer\": 1}".getBytes(StandardCharsets.UTF_8);
    MalformedRecordException e = assertThrows(MalformedRecordException.class, () -> codec.decode(json));
    assertTrue(e.getMessage().contains("7B 22 6C 61"), e.getMessage());
    assertTrue(e.getMessage().contains("12 bytes"), e.getMessage());
    assertEquals("malformed", e.reason());
    assertThrows(MalformedRecordException.class, () -> codec.decode(new byte[0]));
    assertThrows(MalformedRecordException.class, () -> codec.decode(null));
  }

  @Test
  void unknownSchemaVersionIsReportedWithItsFingerprint() {
    byte[] bytes = codec.encode(Samples.layerSnapshot());
    ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(0x1234_5678_9ABC_DEF0L);
    UnknownSchemaException e = assertThrows(UnknownSchemaException.class, () -> codec.decode(bytes));
    assertEquals(0x1234_5678_9ABC_DEF0L, e.fingerprint());
    assertTrue(e.getMessage().contains("0x123456789abcdef0"), e.getMessage());
    assertTrue(e.getMessage().contains("LayerSnapshot v2"), e.getMessage());
    assertEquals("unknown-schema", e.reason());
  }

  @Test
  void truncatedBodyIsMalformed() {
    byte[] bytes = codec.encode(Samples.layerSnapshot());
    byte[] truncated = Arrays.copyOf(bytes, bytes.length / 2);
    MalformedRecordException e = assertThrows(MalformedRecordException.class, () -> codec.decode(truncated));
    assertTrue(e.getMessage().contains("LayerSnapshot v2"), e.getMessage());
  }

  @Test
  void decodingAsTheWrongTypeFails() {
    byte[] bytes = codec.encode(Samples.layerSnapshot());
    assertThrows(MalformedRecordException.class, () -> codec.decode(bytes, RunEnd.class));
  }

  @Test
  void identityIgnoresAttempt() {
    LayerSnapshot first = Samples.layerSnapshot();
    LayerSnapshot retry = LayerSnapshot.newBuilder(first)
        .setWorker(dev.activationmonkey.snapshot.avro.WorkerId.newBuilder(first.getWorker()).setAttemptNumber(2).build())
        .build();
    assertEquals(SnapshotIdentity.of(first), SnapshotIdentity.of(retry));
    assertArrayEquals(RecordKeys.worker("r", 1), RecordKeys.worker("r", 1));
  }

  private static byte[] encodeGeneric(Schema schema, GenericRecord record) {
    try {
      ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), schema).encode(record);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
