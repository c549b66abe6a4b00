package dev.activationmonkey.collector.parquet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.apache.parquet.bytes.HeapByteBufferAllocator;
import org.apache.parquet.column.values.ValuesWriter;
import org.apache.parquet.column.values.bytestreamsplit.ByteStreamSplitValuesWriter;
import org.apache.parquet.column.values.plain.PlainValuesWriter;
import org.junit.jupiter.api.Test;

/** The array-backed writers produce byte for byte what parquet-java's own writers produce, page after page. */
class ArrayValuesWritersTest {
  private static final HeapByteBufferAllocator HEAP = new HeapByteBufferAllocator();
  private static final float[] SPECIAL_FLOATS = {0f, -0f, Float.NaN, Float.intBitsToFloat(0x7fc00001), Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY, Float.MIN_VALUE, Float.MAX_VALUE, -1.5f};
  private static final double[] SPECIAL_DOUBLES = {0d, -0d, Double.NaN, Double.longBitsToDouble(0x7ff8000000000001L),
      Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE, -1e-300};

  @Test
  void floatsAsByteStreamSplit() throws Exception {
    compare(ArrayValuesWriters.FloatSplit::new, () -> new ByteStreamSplitValuesWriter.FloatByteStreamSplitValuesWriter(64, 1 << 20, HEAP),
        (w, random) -> w.writeFloat(random.nextInt(10) == 0 ? SPECIAL_FLOATS[random.nextInt(SPECIAL_FLOATS.length)] : (float) random.nextGaussian()));
  }

  @Test
  void doublesAsByteStreamSplit() throws Exception {
    compare(ArrayValuesWriters.DoubleSplit::new, () -> new ByteStreamSplitValuesWriter.DoubleByteStreamSplitValuesWriter(64, 1 << 20, HEAP),
        (w, random) -> w.writeDouble(random.nextInt(10) == 0 ? SPECIAL_DOUBLES[random.nextInt(SPECIAL_DOUBLES.length)] : random.nextGaussian() * 1e6));
  }

  @Test
  void intsPlain() throws Exception {
    compare(ArrayValuesWriters.IntPlain::new, () -> new PlainValuesWriter(64, 1 << 20, HEAP), (w, random) -> w.writeInteger(random.nextInt()));
  }

  @Test
  void longsPlain() throws Exception {
    compare(ArrayValuesWriters.LongPlain::new, () -> new PlainValuesWriter(64, 1 << 20, HEAP), (w, random) -> w.writeLong(random.nextLong()));
  }

  /**
   * Pages of 0, 1, a few and many values (past the initial capacity, so the arrays grow), with resets
   * between them; three writers one after the other, as for three files: each closed writer gives its
   * (dirty) buffers to the pool, and the next takes them.
   */
  private static void compare(Supplier<ValuesWriter> ours, Supplier<ValuesWriter> parquets, BiConsumer<ValuesWriter, Random> write) throws Exception {
    Random random = new Random(42);
    for (int file = 0; file < 3; file++) {
      compareOneFile(ours, parquets, write, random);
    }
  }

  private static void compareOneFile(Supplier<ValuesWriter> ours, Supplier<ValuesWriter> parquets, BiConsumer<ValuesWriter, Random> write,
      Random random) throws Exception {
    ValuesWriter a = ours.get();
    ValuesWriter b = parquets.get();
    assertEquals(b.getEncoding(), a.getEncoding());
    int[] pages = {0, 1, 7, 255, 256, 257, 5000, 3, 70_000, 1};
    for (int page : pages) {
      long seed = random.nextLong();
      Random ra = new Random(seed);
      Random rb = new Random(seed);
      for (int i = 0; i < page; i++) {
        write.accept(a, ra);
        write.accept(b, rb);
      }
      assertEquals(b.getBufferedSize(), a.getBufferedSize(), "buffered size of a page of " + page);
      assertArrayEquals(b.getBytes().toByteArray(), a.getBytes().toByteArray(), "page of " + page + " values");
      a.reset();
      b.reset();
    }
    a.close();
    b.close();
  }
}
