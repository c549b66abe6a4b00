package dev.activationmonkey.trainer.data;

import java.io.Serializable;

/**
 * A seeded pseudo-random permutation of {@code [0, n)}, computed per index without a table: a four-round Feistel
 * network over the smallest even power of two that holds {@code n}, cycling until the result falls inside the
 * range (a bijection on {@code [0, n)}, as every round is one). Any executor computes the same position for an
 * example from its index alone, so examples are assigned to the test set and to workers without the driver (or any
 * one task) holding the list.
 */
public final class Permutation implements Serializable {
  private static final long serialVersionUID = 1L;
  private final long n;
  private final int halfBits;
  private final long halfMask;
  private final long[] keys = new long[4];

  public Permutation(long n, long seed) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be positive, got " + n);
    }
    this.n = n;
    int bits = Math.max(2, 64 - Long.numberOfLeadingZeros(n - 1));
    this.halfBits = (bits + 1) / 2;
    this.halfMask = (1L << halfBits) - 1;
    long s = seed;
    for (int i = 0; i < keys.length; i++) {
      s += 0x9E3779B97F4A7C15L;
      keys[i] = mix(s);
    }
  }

  public long size() {
    return n;
  }

  /** The position of index {@code i} in the permuted order. */
  public long apply(long i) {
    if (i < 0 || i >= n) {
      throw new IndexOutOfBoundsException("index " + i + " outside [0, " + n + ")");
    }
    long x = i;
    do {
      x = encrypt(x);
    } while (x >= n);
    return x;
  }

  private long encrypt(long x) {
    long left = x >>> halfBits;
    long right = x & halfMask;
    for (long key : keys) {
      long next = left ^ (mix(right ^ key) & halfMask);
      left = right;
      right = next;
    }
    return (left << halfBits) | right;
  }

  /** SplitMix64's finalizer. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
