package dev.activationmonkey.collector.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.collector.TestRecords;
import dev.activationmonkey.collector.parquet.PrimitiveLists;
import dev.activationmonkey.snapshot.SnapshotCodec;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

/** The primitive-array snapshot reader against Avro's own decoder, the reference. */
class LayerSnapshotReaderTest {
  private final RecordDecoder decoder = new RecordDecoder();

  private static List<LayerSnapshot> variety() {
    Random random = new Random(3);
    List<LayerSnapshot> all = new java.util.ArrayList<>();
    for (int i = 0; i < 400; i++) {
      Kind kind = Kind.values()[i % 4];
      LayerSnapshot s = TestRecords.snapshot("run-" + i % 3, i % 5 - 1, i * 1_000_003L, i % 4, kind, random.nextInt(300), i % 9 == 0);
      if (i % 6 == 0) {
        s.setHistogram(null);
      }
      if (i % 13 == 0) {
        s.setRunId("rün-ünïcode-" + i); // multi-byte UTF-8
        s.setMean(Double.NaN);
        s.setMax(Double.POSITIVE_INFINITY);
        s.setNanCount(Long.MAX_VALUE);
        s.setNegInfCount(Long.MIN_VALUE);
      }
      all.add(s);
    }
    return all;
  }

  @Test
  void decodesExactlyWhatAvroDecodes() {
    for (LayerSnapshot s : variety()) {
      byte[] bytes = SnapshotCodec.INSTANCE.encode(s);
      LayerSnapshot expected = SnapshotCodec.INSTANCE.decode(bytes, LayerSnapshot.class);
      LayerSnapshot actual = LayerSnapshotReader.read(bytes);
      assertEquals(expected, actual);
      assertEquals(expected.toString(), actual.toString());
      if (actual.getNeurons() != null) {
        assertInstanceOf(PrimitiveLists.FloatList.class, actual.getNeurons().getFiringRate());
      }
    }
  }

  @Test
  void readsArraysWrittenInManyBlocks() throws Exception {
    // Avro allows arrays in several blocks, with negative counts followed by byte sizes (blocking encoders).
    for (LayerSnapshot s : variety().subList(0, 60)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(SnapshotCodec.MAGIC);
      out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(LayerSnapshotReader.FINGERPRINT).array());
      BinaryEncoder encoder = new EncoderFactory().configureBlockSize(64).blockingBinaryEncoder(out, null);
      new SpecificDatumWriter<LayerSnapshot>(LayerSnapshot.class).write(s, encoder);
      encoder.flush();
      byte[] bytes = out.toByteArray();
      assertEquals(SnapshotCodec.INSTANCE.decode(bytes, LayerSnapshot.class), LayerSnapshotReader.read(bytes));
    }
  }

  @Test
  void everyTruncationIsRejectedAsMalformed() {
    byte[] bytes = SnapshotCodec.INSTANCE.encode(TestRecords.snapshot("run-1", 2, 10, 1, Kind.ACTIVATION, 12, true));
    for (int length = 10; length < bytes.length; length++) {
      RecordDecoder.Result result = decoder.decode(Arrays.copyOf(bytes, length), "t", 0, length);
      assertNull(result.row(), "prefix of " + length + " bytes");
      assertEquals("malformed", result.rejection().reason(), "prefix of " + length + " bytes");
    }
  }

  @Test
  void garbageAfterAValidHeaderIsRejectedNeverThrown() {
    byte[] header = Arrays.copyOf(SnapshotCodec.INSTANCE.encode(TestRecords.snapshot("r", 0, 1, 0, Kind.GRADIENT, 0, false)), 10);
    Random random = new Random(11);
    int rejected = 0;
    for (int i = 0; i < 5000; i++) {
      byte[] bytes = Arrays.copyOf(header, 10 + random.nextInt(400));
      for (int b = 10; b < bytes.length; b++) {
        bytes[b] = (byte) random.nextInt(256);
      }
      RecordDecoder.Result result = decoder.decode(bytes, "t", 0, i);
      if (result.rejection() != null) {
        rejected++;
        assertTrue(List.of("malformed", Rejection.INVALID_RECORD).contains(result.rejection().reason()), result.rejection().toString());
      } else {
        assertNotNull(result.row());
      }
    }
    assertTrue(rejected > 4000, "rejected " + rejected);
  }

  @Test
  void decodesInPlaceFromSlicesOfAFetchedBatch() {
    // As Kafka hands values over: slices of one larger buffer, other records' bytes on both sides.
    List<LayerSnapshot> all = variety();
    ByteArrayOutputStream batch = new ByteArrayOutputStream();
    int[] starts = new int[all.size() + 1];
    for (int i = 0; i < all.size(); i++) {
      batch.write(0x5a); // a byte of "record framing" between values
      starts[i] = batch.size();
      batch.writeBytes(SnapshotCodec.INSTANCE.encode(all.get(i)));
    }
    starts[all.size()] = batch.size() + 1;
    byte[] bytes = batch.toByteArray();
    LayerSnapshotReader reader = new LayerSnapshotReader(); // one reader (and string cache) for all: no stale strings
    for (int i = 0; i < all.size(); i++) {
      int length = starts[i + 1] - 1 - starts[i];
      assertEquals(all.get(i), reader.read(bytes, starts[i], length));
      ByteBuffer value = ByteBuffer.wrap(bytes, starts[i], length).slice();
      RecordDecoder.Result result = decoder.decode(value, "t", 0, i);
      if (RecordDecoder.RUN_ID.matcher(all.get(i).getRunId()).matches()) {
        assertNotNull(result.row(), () -> String.valueOf(result.rejection()));
        assertEquals(all.get(i), result.row().record());
      } else {
        assertEquals(Rejection.INVALID_RECORD, result.rejection().reason());
      }
      assertEquals(0, value.position(), "the value buffer is left as it was");
    }
  }

  @Test
  void everyTruncationIsRejectedEvenWhenTheBufferGoesOn() {
    // The bytes after a truncated slice are the rest of the record: a reader bounded by the array, not
    // the slice, would decode them as if nothing were missing.
    byte[] bytes = SnapshotCodec.INSTANCE.encode(TestRecords.snapshot("run-1", 2, 10, 1, Kind.ACTIVATION, 12, true));
    for (int length = 10; length < bytes.length; length++) {
      RecordDecoder.Result result = decoder.decode(ByteBuffer.wrap(bytes, 0, length), "t", 0, length);
      assertNull(result.row(), "prefix of " + length + " bytes");
      assertEquals("malformed", result.rejection().reason(), "prefix of " + length + " bytes");
    }
    assertNotNull(decoder.decode(ByteBuffer.wrap(bytes), "t", 0, 0).row());
  }
}
