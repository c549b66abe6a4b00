package dev.activationmonkey.collector.ingest;

import dev.activationmonkey.collector.parquet.PrimitiveLists.DoubleList;
import dev.activationmonkey.collector.parquet.PrimitiveLists.FloatList;
import dev.activationmonkey.collector.parquet.PrimitiveLists.IntList;
import dev.activationmonkey.collector.parquet.PrimitiveLists.LongList;
import dev.activationmonkey.snapshot.SnapshotCodec;
import dev.activationmonkey.snapshot.avro.ActivationSample;
import dev.activationmonkey.snapshot.avro.Histogram;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.NeuronStats;
import dev.activationmonkey.snapshot.avro.NeuronUnit;
import dev.activationmonkey.snapshot.avro.WorkerId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;

/**
 * Decodes the body of a current-version {@link LayerSnapshot} (Avro binary encoding) straight into the
 * record with its numeric arrays as primitive arrays ({@link dev.activationmonkey.collector.parquet.PrimitiveLists}): no boxed {@code Float}
 * per neuron, no per-field schema dispatch. The collector's hot path; Avro's own reader handles every
 * other schema (older versions, run-level records).
 *
 * <p>It reads the fields in the order of {@link LayerSnapshot#SCHEMA$} as of format version 2; it is
 * used only for records whose header carries exactly that schema's fingerprint
 * ({@link #FINGERPRINT}), so a schema change can never be misread, and a test checks that it decodes
 * exactly what Avro decodes.
 */
final class LayerSnapshotReader {
  /** The fingerprint of the schema this reader reads. */
  static final long FINGERPRINT = SnapshotCodec.fingerprintOf(LayerSnapshot.getClassSchema());
  private static final int HEADER_LENGTH = 10;
  private static final Kind[] KINDS = Kind.values();
  private static final NeuronUnit[] UNITS = NeuronUnit.values();

  /** Thrown for bytes that do not decode; the decoder turns it into a {@code malformed} rejection. */
  static final class MalformedException extends RuntimeException {
    MalformedException(String message) {
      super(message, null, false, false);
    }
  }

  private byte[] buf;
  private int pos;
  /** Where the record ends: the value may be a slice of a larger buffer (a fetched batch), so reads are checked against this, not the array. */
  private int end;
  private int length;
  private final Strings strings = new Strings();

  /** A reader to reuse for many records; not thread-safe (one per decoding thread). */
  LayerSnapshotReader() {}

  /** Decodes a single-object encoded record whose header carries {@link #FINGERPRINT}. */
  static LayerSnapshot read(byte[] bytes) {
    return new LayerSnapshotReader().read(bytes, 0, bytes.length);
  }

  /**
   * Decodes the single-object encoded record in {@code bytes[offset, offset + length)}, whose header
   * carries {@link #FINGERPRINT}, in place (no copy of the value first).
   */
  LayerSnapshot read(byte[] bytes, int offset, int length) {
    this.buf = bytes;
    this.pos = offset + HEADER_LENGTH;
    this.end = offset + length;
    this.length = length;
    try {
      LayerSnapshot s = snapshot();
      // A read past the end only happens on a truncated record, and positions only grow: one check here finds it.
      if (pos > end) {
        throw truncated();
      }
      return s;
    } catch (ArrayIndexOutOfBoundsException e) {
      throw truncated();
    } finally {
      this.buf = null; // do not keep a fetched batch reachable through the reader
    }
  }

  private MalformedException truncated() {
    return new MalformedException("truncated: the body ends before the record does (" + length + " bytes)");
  }

  private LayerSnapshot snapshot() {
    LayerSnapshot s = new LayerSnapshot();
    s.setRunId(string());
    s.setWorker(new WorkerId(readInt(), readInt(), readLong(), readInt(), string(), string(), string()));
    s.setEpoch(readInt());
    s.setIteration(readLong());
    s.setLayerIndex(readInt());
    s.setLayerName(string());
    s.setLayerType(string());
    s.setActivationFunction(present() ? string() : null);
    s.setKind(KINDS[index(readInt(), KINDS.length, "kind")]);
    s.setParameterName(present() ? string() : null);
    s.setTimestampMillis(Instant.ofEpochMilli(readLong()));
    s.setCount(readLong());
    s.setMean(readDouble());
    s.setStd(readDouble());
    s.setMin(readDouble());
    s.setMax(readDouble());
    s.setMeanAbs(readDouble());
    s.setL2Norm(readDouble());
    s.setZeroFraction(readDouble());
    s.setNearZeroFraction(readDouble());
    s.setNearZeroThreshold(readDouble());
    s.setNanCount(readLong());
    s.setPosInfCount(readLong());
    s.setNegInfCount(readLong());
    if (present()) {
      s.setHistogram(new Histogram(new DoubleList(doubles()), new LongList(longs())));
    }
    if (present()) {
      NeuronUnit unit = UNITS[index(readInt(), UNITS.length, "neuron unit")];
      s.setNeurons(new NeuronStats(unit, readInt(), new FloatList(floats()), new FloatList(floats())));
    }
    s.setSaturatedFraction(present() ? readDouble() : null);
    if (present()) {
      s.setSample(new ActivationSample(new IntList(ints()), new FloatList(floats())));
    }
    return s;
  }

  /** A {@code ["null", T]} union's branch: false for null. */
  private boolean present() {
    int branch = readInt();
    if (branch != 0 && branch != 1) {
      throw new MalformedException("union branch " + branch + " at byte " + pos + " of a [null, T] union");
    }
    return branch == 1;
  }

  private static int index(int i, int n, String what) {
    if (i < 0 || i >= n) {
      throw new MalformedException(what + " symbol " + i + " out of range 0.." + (n - 1));
    }
    return i;
  }

  // ---- Avro binary encoding: zig-zag varints, little-endian IEEE floats, length-prefixed UTF-8,
  //      arrays as blocks (count, items...) ended by a 0 count; a negative count is followed by the block's byte size.

  private int readInt() {
    long v = readLong();
    if (v != (int) v) {
      throw new MalformedException("int out of range at byte " + pos);
    }
    return (int) v;
  }

  private long readLong() {
    byte first = buf[pos];
    if (first >= 0) { // one byte: most ints of a snapshot (indexes, lengths, union branches, small counts)
      pos++;
      return (first >>> 1) ^ -(first & 1);
    }
    long raw = 0;
    int shift = 0;
    while (true) {
      byte b = buf[pos++];
      raw |= (long) (b & 0x7f) << shift;
      if (b >= 0) {
        break;
      }
      shift += 7;
      if (shift > 63) {
        throw new MalformedException("varint longer than 10 bytes at byte " + pos);
      }
    }
    return (raw >>> 1) ^ -(raw & 1);
  }

  private double readDouble() {
    return Double.longBitsToDouble(littleEndianLong());
  }

  private float readFloat() {
    int p = pos;
    int bits = (buf[p] & 0xff) | (buf[p + 1] & 0xff) << 8 | (buf[p + 2] & 0xff) << 16 | (buf[p + 3] & 0xff) << 24;
    pos = p + 4;
    return Float.intBitsToFloat(bits);
  }

  private long littleEndianLong() {
    int p = pos;
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (buf[p + i] & 0xff);
    }
    pos = p + 8;
    return v;
  }

  private String string() {
    int length = length(readLong(), 1);
    String s = strings.get(buf, pos, length);
    pos += length;
    return s;
  }

  /** A byte or element count, checked against the bytes left so that garbage cannot allocate gigabytes. */
  private int length(long n, int minBytesEach) {
    if (n < 0 || n * minBytesEach > end - pos) {
      throw new MalformedException("length " + n + " at byte " + pos + " exceeds the " + (end - pos) + " bytes left");
    }
    return (int) n;
  }

  /** The next block's item count (0 at the end of the array). */
  private int blockCount(int minBytesEach) {
    long n = readLong();
    if (n < 0) {
      n = -n;
      readLong(); // the block's size in bytes: not needed to read it
    }
    return length(n, minBytesEach);
  }

  private float[] floats() {
    float[] out = new float[0];
    for (int n = blockCount(4); n > 0; n = blockCount(4)) {
      int start = out.length;
      out = start == 0 ? new float[n] : Arrays.copyOf(out, start + n);
      for (int i = start; i < out.length; i++) {
        out[i] = readFloat();
      }
    }
    return out;
  }

  private double[] doubles() {
    double[] out = new double[0];
    for (int n = blockCount(8); n > 0; n = blockCount(8)) {
      int start = out.length;
      out = start == 0 ? new double[n] : Arrays.copyOf(out, start + n);
      for (int i = start; i < out.length; i++) {
        out[i] = readDouble();
      }
    }
    return out;
  }

  private long[] longs() {
    long[] out = new long[0];
    for (int n = blockCount(1); n > 0; n = blockCount(1)) {
      int start = out.length;
      out = start == 0 ? new long[n] : Arrays.copyOf(out, start + n);
      for (int i = start; i < out.length; i++) {
        out[i] = readLong();
      }
    }
    return out;
  }

  private int[] ints() {
    int[] out = new int[0];
    for (int n = blockCount(1); n > 0; n = blockCount(1)) {
      int start = out.length;
      out = start == 0 ? new int[n] : Arrays.copyOf(out, start + n);
      for (int i = start; i < out.length; i++) {
        out[i] = readInt();
      }
    }
    return out;
  }

  /**
   * The strings of a topic repeat (run ids, hosts, executors, threads, layer names): a direct-mapped
   * cache from UTF-8 bytes to the {@code String} decoded before returns the same instance instead of a
   * new string and byte array per field per record, and the Parquet writer's per-column cache of the
   * previous value then matches by identity.
   */
  static final class Strings {
    private static final int SLOTS = 512;
    private static final int MAX_CACHED_BYTES = 128;
    private final byte[][] keys = new byte[SLOTS][];
    private final String[] values = new String[SLOTS];

    String get(byte[] buf, int offset, int length) {
      if (length > MAX_CACHED_BYTES) {
        return new String(buf, offset, length, StandardCharsets.UTF_8);
      }
      int h = length;
      for (int i = offset, e = offset + length; i < e; i++) {
        h = 31 * h + buf[i];
      }
      int slot = (h ^ (h >>> 9)) & (SLOTS - 1);
      byte[] key = keys[slot];
      if (key != null && Arrays.equals(key, 0, key.length, buf, offset, offset + length)) {
        return values[slot];
      }
      String s = new String(buf, offset, length, StandardCharsets.UTF_8);
      keys[slot] = Arrays.copyOfRange(buf, offset, offset + length);
      values[slot] = s;
      return s;
    }
  }
}
