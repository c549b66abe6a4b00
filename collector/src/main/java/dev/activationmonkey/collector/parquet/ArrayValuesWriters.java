package dev.activationmonkey.collector.parquet;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.values.ValuesWriter;
import org.apache.parquet.column.values.factory.ValuesWriterFactory;

/**
 * Values writers for the fixed-width columns that buffer a page's values in a primitive array and
 * encode the page in one pass when it is written: byte-stream-split for {@code float}/{@code double},
 * plain for {@code int32}/{@code int64}. The encodings (and the bytes) are exactly parquet-java's;
 * what differs is the cost per value. parquet-java's byte-stream-split writer scatters every value
 * byte by byte into 4 or 8 growing slab streams ({@code CapacityByteArrayOutputStream.write(int)} per
 * byte, a new slab allocated whenever one fills, all released per page), and its plain writer goes
 * through a {@code LittleEndianDataOutputStream} byte by byte: together the largest share of the
 * collector's profile. Here a value is one array store; the split is a tight loop per page.
 *
 * <p>Every other column type (the strings, with their dictionaries) is left to parquet-java's own
 * factory.
 */
final class ArrayValuesWriters implements ValuesWriterFactory {
  private final ValuesWriterFactory delegate;

  ArrayValuesWriters(ValuesWriterFactory delegate) {
    this.delegate = requireNonNull(delegate, "delegate is null");
  }

  @Override
  public void initialize(ParquetProperties properties) {
    delegate.initialize(properties);
  }

  @Override
  public ValuesWriter newValuesWriter(ColumnDescriptor column) {
    return switch (column.getPrimitiveType().getPrimitiveTypeName()) {
      case FLOAT -> new FloatSplit();
      case DOUBLE -> new DoubleSplit();
      case INT32 -> new IntPlain();
      case INT64 -> new LongPlain();
      default -> delegate.newValuesWriter(column);
    };
  }

  private static final int INITIAL = 256;

  /** Base: a scratch byte array for the encoded page, valid until {@link #reset()} (the {@link ValuesWriter} contract). */
  private abstract static class Buffered extends ValuesWriter {
    int size;
    byte[] encoded = ArrayPool.BYTES.takeOr(() -> new byte[0]);

    abstract int width();

    abstract int capacity();

    byte[] scratch() {
      int bytes = size * width();
      if (encoded.length < bytes) {
        encoded = new byte[Math.max(bytes, encoded.length + (encoded.length >> 1))];
      }
      return encoded;
    }

    @Override
    public long getBufferedSize() {
      return (long) size * width();
    }

    @Override
    public long getAllocatedSize() {
      return (long) capacity() * width() + encoded.length;
    }

    @Override
    public void reset() {
      size = 0;
    }

    @Override
    public String memUsageString(String prefix) {
      return prefix + getClass().getSimpleName() + " " + getAllocatedSize() + " bytes";
    }
  }

  static final class FloatSplit extends Buffered {
    private float[] values = ArrayPool.FLOATS.takeOr(() -> new float[INITIAL]);

    @Override
    public void writeFloat(float v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    @Override
    public BytesInput getBytes() {
      int n = size;
      byte[] out = scratch();
      for (int i = 0; i < n; i++) {
        int bits = Float.floatToIntBits(values[i]); // canonical NaN, as parquet-java writes it
        out[i] = (byte) bits;
        out[n + i] = (byte) (bits >>> 8);
        out[2 * n + i] = (byte) (bits >>> 16);
        out[3 * n + i] = (byte) (bits >>> 24);
      }
      return BytesInput.from(out, 0, n * 4);
    }

    @Override
    public Encoding getEncoding() {
      return Encoding.BYTE_STREAM_SPLIT;
    }

    @Override
    int width() {
      return 4;
    }

    @Override
    int capacity() {
      return values.length;
    }

    @Override
    public void close() {
      // The file's column is done: its buffers go to the next file's writers.
      ArrayPool.FLOATS.give(values);
      ArrayPool.BYTES.give(encoded);
      values = new float[0];
      encoded = new byte[0];
      size = 0;
    }
  }

  static final class DoubleSplit extends Buffered {
    private double[] values = ArrayPool.DOUBLES.takeOr(() -> new double[INITIAL]);

    @Override
    public void writeDouble(double v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    @Override
    public BytesInput getBytes() {
      int n = size;
      byte[] out = scratch();
      for (int i = 0; i < n; i++) {
        long bits = Double.doubleToLongBits(values[i]);
        for (int b = 0; b < 8; b++) {
          out[b * n + i] = (byte) (bits >>> (8 * b));
        }
      }
      return BytesInput.from(out, 0, n * 8);
    }

    @Override
    public Encoding getEncoding() {
      return Encoding.BYTE_STREAM_SPLIT;
    }

    @Override
    int width() {
      return 8;
    }

    @Override
    int capacity() {
      return values.length;
    }

    @Override
    public void close() {
      // The file's column is done: its buffers go to the next file's writers.
      ArrayPool.DOUBLES.give(values);
      ArrayPool.BYTES.give(encoded);
      values = new double[0];
      encoded = new byte[0];
      size = 0;
    }
  }

  static final class IntPlain extends Buffered {
    private int[] values = ArrayPool.INTS.takeOr(() -> new int[INITIAL]);

    @Override
    public void writeInteger(int v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    @Override
    public BytesInput getBytes() {
      byte[] out = scratch();
      ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(values, 0, size);
      return BytesInput.from(out, 0, size * 4);
    }

    @Override
    public Encoding getEncoding() {
      return Encoding.PLAIN;
    }

    @Override
    int width() {
      return 4;
    }

    @Override
    int capacity() {
      return values.length;
    }

    @Override
    public void close() {
      // The file's column is done: its buffers go to the next file's writers.
      ArrayPool.INTS.give(values);
      ArrayPool.BYTES.give(encoded);
      values = new int[0];
      encoded = new byte[0];
      size = 0;
    }
  }

  static final class LongPlain extends Buffered {
    private long[] values = ArrayPool.LONGS.takeOr(() -> new long[INITIAL]);

    @Override
    public void writeLong(long v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    @Override
    public BytesInput getBytes() {
      byte[] out = scratch();
      ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(values, 0, size);
      return BytesInput.from(out, 0, size * 8);
    }

    @Override
    public Encoding getEncoding() {
      return Encoding.PLAIN;
    }

    @Override
    int width() {
      return 8;
    }

    @Override
    int capacity() {
      return values.length;
    }

    @Override
    public void close() {
      // The file's column is done: its buffers go to the next file's writers.
      ArrayPool.LONGS.give(values);
      ArrayPool.BYTES.give(encoded);
      values = new long[0];
      encoded = new byte[0];
      size = 0;
    }
  }
}
