package dev.activationmonkey.collector.parquet;

import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * Read-only {@code List} views over primitive arrays, for the numeric arrays of decoded snapshots:
 * they behave as the {@code List<Float>} (etc.) the Avro classes declare, while the Parquet writer reads
 * the primitives without boxing ({@code instanceof FloatList}). They live with the writer that reads them;
 * the decoder (ingest) makes them, so ingest depends on parquet and not the other way round.
 */
public final class PrimitiveLists {
  private PrimitiveLists() {}

  public static final class FloatList extends AbstractList<Float> implements RandomAccess {
    private final float[] values;

    public FloatList(float[] values) {
      this.values = values;
    }

    public float getFloat(int i) {
      return values[i];
    }

    @Override
    public Float get(int i) {
      return values[i];
    }

    @Override
    public int size() {
      return values.length;
    }
  }

  public static final class DoubleList extends AbstractList<Double> implements RandomAccess {
    private final double[] values;

    public DoubleList(double[] values) {
      this.values = values;
    }

    public double getDouble(int i) {
      return values[i];
    }

    @Override
    public Double get(int i) {
      return values[i];
    }

    @Override
    public int size() {
      return values.length;
    }
  }

  public static final class LongList extends AbstractList<Long> implements RandomAccess {
    private final long[] values;

    public LongList(long[] values) {
      this.values = values;
    }

    public long getLong(int i) {
      return values[i];
    }

    @Override
    public Long get(int i) {
      return values[i];
    }

    @Override
    public int size() {
      return values.length;
    }
  }

  public static final class IntList extends AbstractList<Integer> implements RandomAccess {
    private final int[] values;

    public IntList(int[] values) {
      this.values = values;
    }

    public int getInt(int i) {
      return values[i];
    }

    @Override
    public Integer get(int i) {
      return values[i];
    }

    @Override
    public int size() {
      return values.length;
    }
  }
}
