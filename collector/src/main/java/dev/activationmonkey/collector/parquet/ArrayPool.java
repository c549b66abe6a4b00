package dev.activationmonkey.collector.parquet;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Primitive arrays handed from the values writers of closed files to those of new ones. A file's
 * column buffers grow by doubling to a page's worth of values and its page scratch to a page's bytes;
 * without reuse every file (and row group) grew them again from scratch, the copies and the arrays
 * being a large share of the collector's garbage. Bounded in bytes, so a burst of open files does not
 * stay resident once they are closed. Thread-safe: files are written on the writer thread and closed
 * on decode threads.
 */
public final class ArrayPool<A> {
  private static final int TYPES = 5;
  /** Bytes of arrays kept per element type at most (the collector's {@code buffer.pool.bytes} split evenly). */
  private static volatile long maxPooledBytes = (160L << 20) / TYPES;

  static final ArrayPool<float[]> FLOATS = new ArrayPool<>(4);
  static final ArrayPool<double[]> DOUBLES = new ArrayPool<>(8);
  static final ArrayPool<int[]> INTS = new ArrayPool<>(4);
  static final ArrayPool<long[]> LONGS = new ArrayPool<>(8);
  static final ArrayPool<byte[]> BYTES = new ArrayPool<>(1);

  private final int width;
  private final ConcurrentLinkedQueue<A> arrays = new ConcurrentLinkedQueue<>();
  private final AtomicLong pooledBytes = new AtomicLong();

  private ArrayPool(int width) {
    this.width = width;
  }

  /**
   * Bounds the arrays kept idle, over all element types, for this JVM (the pools are shared by its collectors);
   * 0 turns reuse off. Arrays already pooled above a lower bound are released.
   */
  public static void bound(long totalBytes) {
    if (totalBytes < 0) {
      throw new IllegalArgumentException("pool bound must be >= 0, got " + totalBytes);
    }
    maxPooledBytes = totalBytes / TYPES;
    for (ArrayPool<?> pool : new ArrayPool<?>[] {FLOATS, DOUBLES, INTS, LONGS, BYTES}) {
      pool.trim();
    }
  }

  private void trim() {
    while (pooledBytes.get() > maxPooledBytes) {
      A array = arrays.poll();
      if (array == null) {
        return;
      }
      pooledBytes.addAndGet(-bytes(array));
    }
  }

  /** A pooled array (its contents are garbage), or a new one if there is none. */
  A takeOr(java.util.function.Supplier<A> make) {
    A array = arrays.poll();
    if (array == null) {
      return make.get();
    }
    pooledBytes.addAndGet(-bytes(array));
    return array;
  }

  /** Gives an array back for reuse; its owner must not touch it afterwards. */
  void give(A array) {
    long bytes = bytes(array);
    if (bytes == 0) {
      return;
    }
    if (pooledBytes.addAndGet(bytes) <= maxPooledBytes) {
      arrays.offer(array);
    } else {
      pooledBytes.addAndGet(-bytes); // full: leave it to the garbage collector
    }
  }

  private long bytes(A array) {
    return (long) java.lang.reflect.Array.getLength(array) * width;
  }
}
