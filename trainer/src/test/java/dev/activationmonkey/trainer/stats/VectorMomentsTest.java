package dev.activationmonkey.trainer.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The SIMD first pass equals the scalar one on chunks of every kind, and leaves non-finite chunks alone. */
class VectorMomentsTest {

  @Test
  void theTestJvmRunsTheVectorPath() {
    assertTrue(DirectScan.VECTORS, "surefire's argLine adds jdk.incubator.vector; without it this test proves nothing");
  }

  @Test
  void equalsTheScalarPassOnChunksOfAnyLength() {
    Random random = new Random(17);
    for (int n : new int[] {1, 3, 7, 8, 15, 16, 17, 63, 1000, 8192}) {
      float[] v = new float[n];
      for (int i = 0; i < n; i++) {
        int kind = random.nextInt(5);
        v[i] = kind == 0 ? 0f : kind == 1 ? 1e-7f * (random.nextFloat() - 0.5f) : (float) random.nextGaussian() * 3;
      }
      DirectScan.Totals scalar = new DirectScan.Totals();
      DirectScan.Totals vector = new DirectScan.Totals();
      assertTrue(DirectScan.finiteFloats(v, n, 1e-6f, scalar));
      assertTrue(VectorMoments.finiteFloats(v, n, 1e-6f, vector));
      assertEquals(scalar.sum, vector.sum, 1e-9 * Math.max(1, Math.abs(scalar.sum)), "sum, n=" + n);
      assertEquals(scalar.squares, vector.squares, 1e-9 * scalar.squares, "squares, n=" + n);
      assertEquals(scalar.magnitudes, vector.magnitudes, 1e-9 * scalar.magnitudes, "magnitudes, n=" + n);
      assertEquals(scalar.min, vector.min, "min, n=" + n);
      assertEquals(scalar.max, vector.max, "max, n=" + n);
      assertEquals(scalar.zeros, vector.zeros, "zeros, n=" + n);
      assertEquals(scalar.nearZeros, vector.nearZeros, "near zeros, n=" + n);
    }
  }

  @Test
  void aChunkWithNanOrInfinityIsLeftToTheGeneralLoop() {
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      for (int at : new int[] {0, 5, 16, 99}) {
        float[] v = new float[100];
        java.util.Arrays.fill(v, 0.5f);
        v[at] = bad;
        DirectScan.Totals t = new DirectScan.Totals();
        assertFalse(VectorMoments.finiteFloats(v, v.length, 1e-6f, t), bad + " at " + at);
        assertEquals(0, t.zeros + t.nearZeros);
        assertEquals(0.0, t.sum);
      }
    }
  }
}
