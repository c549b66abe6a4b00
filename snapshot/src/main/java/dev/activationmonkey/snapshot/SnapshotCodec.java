package dev.activationmonkey.snapshot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Encodes and decodes snapshot-topic records with Avro's single-object encoding: two marker bytes
 * {@code C3 01}, the writer schema's 8-byte CRC-64-AVRO fingerprint (little endian), then the Avro
 * binary body. No schema registry is needed: every reader ships the schemas it understands, including
 * earlier versions, and resolves older records to the current schema.
 *
 * <p>Thread-safe; one shared instance ({@link #INSTANCE}) is enough.
 */
public final class SnapshotCodec {
  /** The first two bytes of every single-object encoded record. */
  public static final byte[] MAGIC = {(byte) 0xC3, (byte) 0x01};
  /** The current version of the snapshot record format (LayerSnapshot's schema). */
  public static final int FORMAT_VERSION = 2;

  public static final SnapshotCodec INSTANCE = new SnapshotCodec();

  private static final int HEADER_LENGTH = 10;
  private final Map<Long, RecordType> typeByFingerprint = new HashMap<>();
  private final Map<Long, String> versionByFingerprint = new HashMap<>();

  private SnapshotCodec() {
    for (RecordType type : RecordType.values()) {
      int version = 1;
      for (Schema old : type.historicSchemas()) {
        register(type, old, "v" + version++);
      }
      register(type, type.schema(), "v" + version);
    }
  }

  private void register(RecordType type, Schema schema, String version) {
    long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
    typeByFingerprint.put(fingerprint, type);
    versionByFingerprint.put(fingerprint, type.schema().getName() + " " + version);
  }

  /** Per-thread encoding buffer: a record costs one allocation, its exact-size byte array. */
  private static final ThreadLocal<ByteArrayOutputStream> BUFFERS =
      ThreadLocal.withInitial(() -> new ByteArrayOutputStream(16 * 1024));
  /** A buffer grown past this by one large record is not kept for the thread's later ones. */
  private static final int KEPT_BUFFER_BYTES = 1 << 20;

  /** Encodes a record of one of the {@link RecordType}s with its current schema. */
  public byte[] encode(SpecificRecordBase record) {
    ByteArrayOutputStream out = BUFFERS.get();
    out.reset();
    try {
      RecordType.of(record).encoder().encode(record, out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode " + record.getSchema().getName(), e);
    } finally {
      if (out.size() > KEPT_BUFFER_BYTES) {
        BUFFERS.remove();
      }
    }
  }

  /**
   * Decodes bytes into the current version of their record type.
   *
   * @throws MalformedRecordException if the bytes are not a single-object encoded record of a known
   *     type, or its body is truncated or does not match its schema
   * @throws UnknownSchemaException if the header names a schema this reader does not know
   */
  public SpecificRecordBase decode(byte[] bytes) {
    RecordType type = typeOf(bytes);
    try {
      return type.decoder().decode(bytes);
    } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException e) {
      throw new MalformedRecordException(
          "a " + versionByFingerprint.get(fingerprint(bytes)) + " record of " + bytes.length
              + " bytes whose body does not decode: " + e.getMessage() + " (starts " + preview(bytes) + ")",
          e);
    }
  }

  /** Decodes bytes that must hold a record of the given type. */
  public <T extends SpecificRecordBase> T decode(byte[] bytes, Class<T> expected) {
    SpecificRecordBase record = decode(bytes);
    if (!expected.isInstance(record)) {
      throw new MalformedRecordException(
          "expected a " + expected.getSimpleName() + " but got a " + record.getSchema().getName(), null);
    }
    return expected.cast(record);
  }

  /**
   * The record type named by the bytes' header, without decoding the body.
   *
   * @throws MalformedRecordException if there is no single-object header
   * @throws UnknownSchemaException if the fingerprint is not known
   */
  public RecordType typeOf(byte[] bytes) {
    if (bytes == null || bytes.length < HEADER_LENGTH || bytes[0] != MAGIC[0] || bytes[1] != MAGIC[1]) {
      int length = bytes == null ? 0 : bytes.length;
      throw new MalformedRecordException(
          "not an Avro single-object encoded snapshot record: expected a header starting C3 01 and at least "
              + HEADER_LENGTH + " bytes, got " + length + " bytes starting " + preview(bytes),
          null);
    }
    long fingerprint = fingerprint(bytes);
    RecordType type = typeByFingerprint.get(fingerprint);
    if (type == null) {
      throw new UnknownSchemaException(
          fingerprint,
          "unknown snapshot schema: fingerprint " + hex(fingerprint) + " is none of the "
              + typeByFingerprint.size() + " schemas this reader knows ("
              + knownSchemas() + "); the record was written by a newer or foreign producer."
              + " Upgrade Activation Monkey to read it.");
    }
    return type;
  }

  /** The schema fingerprint of the current schema of a type, as written in record headers. */
  public static long fingerprintOf(Schema schema) {
    return SchemaNormalization.parsingFingerprint64(schema);
  }

  private String knownSchemas() {
    return versionByFingerprint.entrySet().stream()
        .map(e -> e.getValue() + "=" + hex(e.getKey()))
        .sorted()
        .collect(Collectors.joining(", "));
  }

  private static long fingerprint(byte[] bytes) {
    return ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  private static String hex(long fingerprint) {
    return "0x" + HexFormat.of().toHexDigits(fingerprint);
  }

  static String preview(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return "(empty)";
    }
    int n = Math.min(bytes.length, 16);
    String hex = HexFormat.ofDelimiter(" ").withUpperCase().formatHex(bytes, 0, n);
    return hex + (bytes.length > n ? " ..." : "");
  }
}
