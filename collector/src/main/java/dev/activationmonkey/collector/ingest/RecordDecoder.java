package dev.activationmonkey.collector.ingest;

import dev.activationmonkey.collector.parquet.Row;
import dev.activationmonkey.snapshot.RecordType;
import dev.activationmonkey.snapshot.SnapshotCodec;
import dev.activationmonkey.snapshot.SnapshotDecodingException;
import dev.activationmonkey.snapshot.avro.ActivationSample;
import dev.activationmonkey.snapshot.avro.Evaluation;
import dev.activationmonkey.snapshot.avro.Histogram;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.NeuronStats;
import dev.activationmonkey.snapshot.avro.RunEnd;
import dev.activationmonkey.snapshot.avro.RunStart;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Turns a Kafka record's bytes into a {@link Row}, or says why it cannot be one. Beyond decoding it
 * checks what the dataset relies on: a run id usable as a directory name, and arrays whose lengths
 * agree (a histogram with one count fewer than edges, per-neuron vectors of one length, a sample whose
 * shape matches its values).
 */
public final class RecordDecoder {
  /** Run ids become {@code run_id=<id>} directory names: keep them to characters every file system and engine accepts. */
  static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@+-]{0,199}");

  private static final int HEADER_LENGTH = 10;
  /** The single-object encoding's marker, C3 01. */
  private static final byte MAGIC_0 = (byte) 0xC3;
  private static final byte MAGIC_1 = 0x01;

  private final Map<Long, Integer> versionByFingerprint = new HashMap<>();
  private final int currentSnapshotVersion;
  /** A reader (and its string cache) per decoding thread. */
  private final ThreadLocal<LayerSnapshotReader> readers = ThreadLocal.withInitial(LayerSnapshotReader::new);
  /**
   * Run ids already checked: a topic carries a handful of runs, and matching the pattern per record
   * showed in the profile. Shared by the decode threads; bounded by clearing it when full.
   */
  private final Set<String> validRunIds = ConcurrentHashMap.newKeySet();
  private static final int VALID_RUN_IDS_MAX = 4096;

  public RecordDecoder() {
    // Avro's fast reader builds a reader per schema pair instead of interpreting a resolving grammar per
    // field (Parser.advance was the top frame of the collector's profile). Same records, ~2x faster.
    SpecificData.get().setFastReaderEnabled(true);
    for (RecordType type : RecordType.values()) {
      int version = 1;
      for (Schema historic : type.historicSchemas()) {
        versionByFingerprint.put(SnapshotCodec.fingerprintOf(historic), version++);
      }
      versionByFingerprint.put(SnapshotCodec.fingerprintOf(type.schema()), version);
    }
    currentSnapshotVersion = versionByFingerprint.get(LayerSnapshotReader.FINGERPRINT);
  }

  /** A decoded row, or the reason there is none. Exactly one of the two is set. */
  public record Result(Row row, Rejection rejection) {}

  public Result decode(byte[] value, String topic, int partition, long offset) {
    return decode(value == null ? null : ByteBuffer.wrap(value), topic, partition, offset);
  }

  /**
   * Decodes the value's remaining bytes (not changing its position). Current-version snapshots (nearly
   * every record) are read in place from a heap buffer, such as Kafka's fetched batch; the rest go
   * through a copy and Avro.
   */
  public Result decode(ByteBuffer value, String topic, int partition, long offset) {
    SpecificRecordBase record;
    RecordType type;
    long fingerprint;
    int length = value == null ? 0 : value.remaining();
    try {
      int start = value != null && value.hasArray() ? value.arrayOffset() + value.position() : -1;
      if (start >= 0 && length >= HEADER_LENGTH && isCurrentSnapshot(value.array(), start)) {
        fingerprint = LayerSnapshotReader.FINGERPRINT;
        type = RecordType.LAYER_SNAPSHOT;
        record = readers.get().read(value.array(), start, length);
      } else {
        byte[] bytes = null;
        if (value != null) {
          bytes = new byte[length];
          value.duplicate().get(bytes);
        }
        type = SnapshotCodec.INSTANCE.typeOf(bytes);
        fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        record = fingerprint == LayerSnapshotReader.FINGERPRINT ? LayerSnapshotReader.read(bytes) : SnapshotCodec.INSTANCE.decode(bytes);
      }
    } catch (LayerSnapshotReader.MalformedException e) {
      return new Result(null, new Rejection("malformed", "a LayerSnapshot v2 record of " + length
          + " bytes whose body does not decode: " + e.getMessage()));
    } catch (SnapshotDecodingException e) {
      return new Result(null, new Rejection(e.reason(), e.getMessage()));
    } catch (RuntimeException e) {
      // The codec promises its own exceptions; anything else is still this record's fault, not the collector's.
      return new Result(null, new Rejection("malformed", e.toString()));
    }
    String problem = check(record);
    if (problem != null) {
      return new Result(null, new Rejection(Rejection.INVALID_RECORD, problem));
    }
    int version = fingerprint == LayerSnapshotReader.FINGERPRINT ? currentSnapshotVersion : versionByFingerprint.getOrDefault(fingerprint, 0);
    return new Result(new Row(record, type, version, topic, partition, offset), null);
  }

  /** Whether the single-object header at {@code start} says: a LayerSnapshot of the current schema. */
  private static boolean isCurrentSnapshot(byte[] b, int start) {
    if (b[start] != MAGIC_0 || b[start + 1] != MAGIC_1) {
      return false;
    }
    long fingerprint = 0;
    for (int i = 7; i >= 0; i--) {
      fingerprint = (fingerprint << 8) | (b[start + 2 + i] & 0xff);
    }
    return fingerprint == LayerSnapshotReader.FINGERPRINT;
  }

  /** The run id of a decoded record. */
  public static String runId(SpecificRecordBase record) {
    if (record instanceof LayerSnapshot s) {
      return s.getRunId();
    } else if (record instanceof RunStart s) {
      return s.getRunId();
    } else if (record instanceof Evaluation e) {
      return e.getRunId();
    } else if (record instanceof RunEnd e) {
      return e.getRunId();
    }
    throw new IllegalArgumentException("not a snapshot-topic record: " + record.getClass().getName());
  }

  private String check(SpecificRecordBase record) {
    String runId = runId(record);
    if (!validRunIds.contains(runId)) {
      if (!RUN_ID.matcher(runId).matches()) {
        return "run id '" + abbreviate(runId) + "' cannot name a dataset directory: use 1-200 letters, digits and ._:@+- , starting with a letter or digit";
      }
      if (validRunIds.size() >= VALID_RUN_IDS_MAX) {
        validRunIds.clear();
      }
      validRunIds.add(runId);
    }
    if (record instanceof LayerSnapshot s) {
      Histogram h = s.getHistogram();
      if (h != null && h.getCounts().size() + 1 != h.getEdges().size()) {
        return "histogram has " + h.getEdges().size() + " edges and " + h.getCounts().size() + " counts; counts must be one fewer than edges";
      }
      NeuronStats n = s.getNeurons();
      if (n != null && n.getFiringRate().size() != n.getMeanActivation().size()) {
        return "neurons: firingRate has " + n.getFiringRate().size() + " units but meanActivation " + n.getMeanActivation().size();
      }
      ActivationSample sample = s.getSample();
      if (sample != null) {
        long product = 1;
        for (int d : sample.getShape()) {
          if (d < 0) {
            return "sample shape " + sample.getShape() + " has a negative dimension";
          }
          product = product > Integer.MAX_VALUE ? product : product * d;
        }
        if (sample.getShape().isEmpty() || product != sample.getValues().size()) {
          return "sample shape " + sample.getShape() + " does not match its " + sample.getValues().size() + " values";
        }
      }
    }
    return null;
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }
}
