package dev.activationmonkey.analytics.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.activationmonkey.analytics.chart.HeatmapData;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The heatmaps' columns are the logged iterations: no "no data" stripes between them, grouped when there are many. */
class HeatmapsTest {
  private static List<LayerIterationRow> rows(int layers, long every, int logged) {
    List<LayerIterationRow> rows = new ArrayList<>();
    for (int layer = 0; layer < layers; layer++) {
      for (int i = 0; i < logged; i++) {
        long it = i * every;
        rows.add(new LayerIterationRow("r", layer, "l" + layer, "DenseLayer", "relu", 0, it, it, 1,
            new Stat(i, 1), Stat.EMPTY, Stat.EMPTY, new Stat(1, 1), Stat.EMPTY, Stat.EMPTY, Stat.EMPTY, 0, 0, 0, -1));
      }
    }
    return rows;
  }

  @Test
  void everyFifthIterationLoggedGivesOneColumnPerLoggedIterationAndNoEmptyColumn() {
    HeatmapData h = Heatmaps.sparsity("r", rows(3, 5, 20));
    assertArrayEquals(LongStream.range(0, 20).map(i -> i * 5).toArray(), h.columnValues());
    for (double[] row : h.values()) {
      for (double v : row) {
        assertFalse(Double.isNaN(v), "every column has data");
      }
    }
    assertEquals(7.0, h.values()[1][7], 1e-12);
  }

  @Test
  void manyLoggedIterationsAreGroupedIntoAtMostMaxColumnsOfConsecutiveLoggedOnes() {
    HeatmapData h = Heatmaps.sparsity("r", rows(2, 5, 1000));
    assertEquals(Heatmaps.MAX_COLUMNS, h.columnValues().length);
    assertEquals(25, h.columnValues()[1], "5 logged iterations (0, 5, ..., 20) per column");
    assertEquals(2.0, h.values()[0][0], 1e-12, "mean of 0..4");
    for (double v : h.values()[1]) {
      assertFalse(Double.isNaN(v));
    }
  }
}
