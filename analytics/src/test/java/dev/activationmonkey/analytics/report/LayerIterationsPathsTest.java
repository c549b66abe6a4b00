package dev.activationmonkey.analytics.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.TestLogs;
import dev.activationmonkey.analytics.TestLogs.Layer;
import dev.activationmonkey.analytics.fixtures.SnapshotFileWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report's aggregation has several paths (packed or plain group keys, activations folded per iteration
 * with worker bits or through a per-worker level, NaN/Inf read or known to be 0 from the footers, key ranges
 * from footers or a scan): each must give the same rows as the others.
 */
class LayerIterationsPathsTest {
  @TempDir
  Path root;

  private static List<Object[]> rows(ActivationLog log, String sql) {
    List<Object[]> rows = new ArrayList<>(log.select(sql, rs -> {
      Object[] row = new Object[rs.getMetaData().getColumnCount()];
      for (int i = 0; i < row.length; i++) {
        row[i] = rs.getObject(i + 1);
      }
      return row;
    }));
    rows.sort(Comparator.comparing((Object[] r) -> (String) r[0]).thenComparingInt(r -> ((Number) r[1]).intValue())
        .thenComparingLong(r -> ((Number) r[3]).longValue()));
    return rows;
  }

  /** Values as doubles (sums may differ in the last bits with the order of addition). */
  private static void assertSameRows(List<Object[]> expected, List<Object[]> actual, String what) {
    assertEquals(expected.size(), actual.size(), what);
    for (int i = 0; i < expected.size(); i++) {
      Object[] e = expected.get(i);
      Object[] a = actual.get(i);
      assertEquals(e[0], a[0], what);
      for (int c = 1; c < e.length; c++) {
        if (e[c] == null || a[c] == null) {
          assertEquals(e[c], a[c], what + " row " + i + " column " + c);
        } else {
          double x = ((Number) e[c]).doubleValue();
          double y = ((Number) a[c]).doubleValue();
          assertEquals(x, y, Math.abs(x) * 1e-12, what + " row " + i + " column " + c);
        }
      }
    }
  }

  private static Map<String, long[]> scannedRanges(ActivationLog log, List<String> runs) {
    Map<String, long[]> out = new LinkedHashMap<>();
    for (Object[] r : rows(log, ReportSql.iterationRanges(runs).replace("GROUP BY run_id",
        "GROUP BY run_id ORDER BY run_id").replace("SELECT run_id,", "SELECT run_id, 0, 0,"))) {
      long[] all = new long[9];
      for (int i = 0; i < 9; i++) {
        all[i] = ((Number) r[i + 3]).longValue();
      }
      out.put((String) r[0], all);
    }
    return out;
  }

  @Test
  void packedAndPlainKeysWorkerBitsAndWorkerLevelGiveTheSameRows() {
    TestLogs.writeRun(root, "a", 120, 3, 0, List.of(Layer.healthy(0).activation("sigmoid").saturated("0.2"),
        Layer.healthy(1).nanCount("CASE WHEN i >= 70 THEN 2 ELSE 0 END").zeroFraction("(i % 5) / 10.0")));
    TestLogs.writeRun(root, "b", 90, 2, 0, List.of(Layer.healthy(0), Layer.healthy(2)));
    TestLogs.writeRun(root, "b", 90, 1, 1, List.of(Layer.healthy(2).zeroFraction("0.9"))); // a retried worker 0
    try (ActivationLog log = ActivationLog.open(root.toString());
         DuckDbEngine engine = new DuckDbEngine(log, false)) {
      List<String> runs = List.of("a", "b");
      Map<String, long[]> ranges = engine.keyRanges(runs);
      Map<String, long[]> scanned = scannedRanges(log, runs);
      assertEquals(scanned.keySet(), ranges.keySet());
      scanned.forEach((run, r) -> assertArrayEquals(r, ranges.get(run), "footer ranges of " + run));
      assertTrue(engine.mayHoldNonFinite(runs), "run a has NaN gradients");

      List<Windows> windows = List.of(Windows.of("a", 0, 119, 10), Windows.of("b", 0, 89, 10));
      KeySpace packed = KeySpace.of(runs, ranges);
      assertNotNull(packed);
      assertTrue(packed.workers() <= ReportSql.MAX_WORKER_BITS);
      // the same packing with room for 100 workers: activations go through the per-worker level
      KeySpace wide = new KeySpace(runs, packed.firstEpoch(), packed.epochs(), packed.firstIteration(),
          packed.iterations(), packed.firstLayer(), packed.layers(), packed.firstWorker(), 100);
      List<String> codes = List.of("W", "b");
      for (String source : List.of("snapshots_all", "snapshots")) {
        boolean raw = source.equals("snapshots_all");
        List<List<Object[]>> paths = new ArrayList<>();
        for (KeySpace keys : java.util.Arrays.asList(null, packed, wide)) {
          paths.add(rows(log, ReportSql.layerIterations(ReportSql.Dialect.DUCKDB, windows, source, codes, keys, true)));
        }
        for (List<Object[]> path : paths) {
          // the duplicate flag (last column) is raised for run b only, and only in the raw rows
          assertEquals(raw, path.stream().anyMatch(r -> r[0].equals("b") && ((Number) r[24]).intValue() == 1));
          assertTrue(path.stream().noneMatch(r -> r[0].equals("a") && ((Number) r[24]).intValue() == 1));
          if (raw) {
            // a run with duplicates is aggregated again from the de-duplicated view: its raw numbers are not used
            path.removeIf(r -> r[0].equals("b"));
          }
        }
        assertSameRows(paths.get(0), paths.get(1), "packed keys, worker bits, " + source);
        assertSameRows(paths.get(0), paths.get(2), "packed keys, per-worker level, " + source);
      }
      // Without NaN/Inf, leaving the counts out changes nothing but the time.
      List<Windows> healthy = List.of(Windows.of("b", 0, 89, 10));
      assertSameRows(rows(log, ReportSql.layerIterations(ReportSql.Dialect.DUCKDB, healthy, "snapshots", codes, packed,
          true)), rows(log, ReportSql.layerIterations(ReportSql.Dialect.DUCKDB, healthy, "snapshots", codes, packed,
          false)), "NaN/Inf columns read or known to be 0");
    }
  }

  @Test
  void healthyLogsSkipNonFiniteCountsAndManyWorkersStillShowDuplicates() {
    // 64 workers: more than a BIGINT's bits, so activations are checked per worker
    TestLogs.writeRun(root, "wide", 20, 64, 0, List.of(Layer.healthy(0)));
    TestLogs.writeRun(root, "wide", 20, 1, 1, List.of(Layer.healthy(0).zeroFraction("0.9")));
    try (DuckDbEngine engine = new DuckDbEngine(ActivationLog.open(root.toString()), true)) {
      assertFalse(engine.mayHoldNonFinite(List.of("wide")), "every nan/inf count is 0 in the footers");
      KeySpace keys = KeySpace.of(List.of("wide"), engine.keyRanges(List.of("wide")));
      assertEquals(64, keys.workers());
      RunReport run = new ReportBuilder(engine, Thresholds.defaults()).build("x", List.of()).runs().get(0);
      assertEquals(java.util.Set.of("wide"), engine.runsWithDuplicates());
      assertEquals(64, run.workers());
      // worker 0's latest attempt says 0.9, the 63 others 0.5
      assertEquals((0.9 + 63 * 0.5) / 64, run.layers().get(0).zeroFraction(), 1e-12);
    }
  }

  @Test
  void nullKeyColumnsFallBackToPlainKeys() {
    TestLogs.writeRun(root, "r", 40, 2, 0, List.of(Layer.healthy(0)));
    try (SnapshotFileWriter w = new SnapshotFileWriter(root)) {
      w.write("r", "activation", "monkey.snapshots+9+0+9.parquet", Map.of("partition_id", "2", "iteration", "i",
          "epoch", "CAST(NULL AS INTEGER)", "zero_fraction", "0.5", "near_zero_fraction", "0.51",
          "firing_rate", "list_transform(range(10), k -> 0.5)"), "range(40) t(i)");
    }
    try (DuckDbEngine engine = new DuckDbEngine(ActivationLog.open(root.toString()), true)) {
      Map<String, long[]> ranges = engine.keyRanges(List.of("r"));
      assertEquals(40, ranges.get("r")[8], "the NULL epochs are counted");
      assertNull(KeySpace.of(List.of("r"), ranges), "a NULL cannot be packed");
      RunReport run = new ReportBuilder(engine, Thresholds.defaults()).build("x", List.of()).runs().get(0);
      // a NULL epoch is an identity of its own, as in the plain columns' GROUP BY: not a third worker of epoch 0
      assertEquals(2, run.workers());
      assertEquals(80, run.series().stream().mapToLong(row -> row.zero().count()).sum(),
          "per iteration one value for epoch 0 and one for the NULL epoch, as grouping by the plain columns gives");
      assertEquals(0.5, run.layers().get(0).zeroFraction(), 1e-12);
    }
  }

  @Test
  void keySpacesThatDoNotFitABigintArePlain() {
    long[] huge = {0, 1L << 40, 0, 1 << 20, 0, 10, 0, 10, 0};
    assertNull(KeySpace.of(List.of("r"), Map.of("r", huge)));
    long[] small = {5, 104, 0, 1, 0, 3, 2, 5, 0};
    KeySpace k = KeySpace.of(List.of("r"), Map.of("r", small));
    assertEquals(List.of(100L, 2L, 4L, 4L, 5L, 2L), List.of(k.iterations(), k.epochs(), k.layers(), k.workers(),
        k.firstIteration(), k.firstWorker()));
    assertNull(KeySpace.of(List.of("r", "s"), Map.of("r", small)), "a run without ranges");
  }
}
