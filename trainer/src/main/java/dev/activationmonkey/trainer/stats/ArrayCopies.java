package dev.activationmonkey.trainer.stats;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Native copies of the arrays DL4J hands a listener, so that their statistics can be computed off the training
 * thread after DL4J has reused the memory. A copy is one {@code memcpy} (~20 µs for a 784×256 float matrix in
 * cache) into a detached array of the same type, shape and order; nothing goes through the
 * Java heap.
 *
 * <p>Copies come from a pool keyed by type, order and shape (a network's arrays repeat every step, so steady state
 * allocates nothing) and the pool's native memory, free and lent together, is bounded: when a copy would pass the
 * bound, {@link #copyOf} returns null and the caller computes on its own thread instead. Thread-safe.
 */
public final class ArrayCopies {
  private final long maxBytes;
  private final Map<Key, ArrayDeque<INDArray>> free = new HashMap<>();
  private long allocatedBytes;

  private record Key(DataType type, char order, long[] shape) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.type == type && k.order == order && Arrays.equals(k.shape, shape);
    }

    @Override
    public int hashCode() {
      return (type.hashCode() * 31 + order) * 31 + Arrays.hashCode(shape);
    }
  }

  /** @param maxBytes the most native memory copies may hold, lent and pooled together; 0 = never copy */
  public ArrayCopies(long maxBytes) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes must be >= 0, was " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  /** Whether {@code array} can be copied: float or double, laid out densely in its order. */
  public static boolean copyable(INDArray array) {
    return DirectScan.supports(array);
  }

  /**
   * A detached copy of {@code array} with the same type, shape and order, to be handed back with {@link #release};
   * null if the array cannot be copied ({@link #copyable}) or the bound leaves no room for it.
   */
  public INDArray copyOf(INDArray array) {
    if (maxBytes == 0 || !copyable(array)) {
      return null;
    }
    Key key = new Key(array.dataType(), array.ordering(), array.shape());
    INDArray copy = take(key, array.length() * array.dataType().width());
    if (copy != null) {
      long width = array.dataType().width();
      Pointer.memcpy(address(copy, width), address(array, width), array.length() * width);
    }
    return copy;
  }

  /** Gives a copy from {@link #copyOf} back to the pool; it must not be used afterwards. */
  public void release(INDArray copy) {
    if (copy == null) {
      return;
    }
    Key key = new Key(copy.dataType(), copy.ordering(), copy.shape());
    synchronized (this) {
      free.computeIfAbsent(key, k -> new ArrayDeque<>()).push(copy);
    }
  }

  /** The bound: the most native memory copies may hold. */
  public long maxBytes() {
    return maxBytes;
  }

  /** Native bytes held by copies, lent and pooled. */
  public synchronized long allocatedBytes() {
    return allocatedBytes;
  }

  private INDArray take(Key key, long bytes) {
    synchronized (this) {
      ArrayDeque<INDArray> pooled = free.get(key);
      if (pooled != null && !pooled.isEmpty()) {
        return pooled.pop();
      }
      if (allocatedBytes + bytes > maxBytes) {
        evictOtherShapes(key, allocatedBytes + bytes - maxBytes);
        if (allocatedBytes + bytes > maxBytes) {
          return null;
        }
      }
      allocatedBytes += bytes;
    }
    try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      return Nd4j.createUninitializedDetached(key.type(), key.order(), key.shape());
    } catch (RuntimeException | OutOfMemoryError e) {
      synchronized (this) {
        allocatedBytes -= bytes;
      }
      return null; // no native memory for it (JavaCPP's limit): the caller computes on its own thread
    }
  }

  /** Frees pooled copies of other shapes (a last, smaller mini-batch; another network) to make room. */
  private void evictOtherShapes(Key keep, long needed) {
    long freed = 0;
    for (Iterator<Map.Entry<Key, ArrayDeque<INDArray>>> it = free.entrySet().iterator(); it.hasNext() && freed < needed; ) {
      Map.Entry<Key, ArrayDeque<INDArray>> e = it.next();
      if (e.getKey().equals(keep)) {
        continue;
      }
      while (!e.getValue().isEmpty() && freed < needed) {
        INDArray dropped = e.getValue().pop();
        long bytes = dropped.length() * dropped.dataType().width();
        freed += bytes;
        allocatedBytes -= bytes;
        dropped.close(); // its native memory now, not at the next GC
      }
      if (e.getValue().isEmpty()) {
        it.remove();
      }
    }
  }

  /** A pointer to the array's first element. */
  private static BytePointer address(INDArray array, long width) {
    return new BytePointer(array.data().addressPointer()).position(DirectScan.firstElement(array) * width);
  }
}
