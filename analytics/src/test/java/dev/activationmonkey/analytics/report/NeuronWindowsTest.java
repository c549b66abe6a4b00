package dev.activationmonkey.analytics.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.TestLogs;
import dev.activationmonkey.analytics.TestLogs.Layer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Per-unit statistics read by position must equal those of the exploded lists (the definition). */
class NeuronWindowsTest {
  @TempDir
  Path root;

  /** The DuckDB engine with a given guess of the list width (too small, right, too large for some layers). */
  private static final class Guessing extends SqlReportEngine {
    private final DuckDbEngine engine;
    private final int guess;

    Guessing(DuckDbEngine engine, int guess) {
      super(ReportSql.Dialect.DUCKDB);
      this.engine = engine;
      this.guess = guess;
    }

    @Override
    protected int unitsGuess(java.util.Collection<String> runIds) {
      return guess < 0 ? engine.unitsGuess(runIds) : guess;
    }

    @Override
    protected SqlRows query(String sql) {
      return engine.query(sql);
    }

    @Override
    protected boolean hasTable(String table) {
      return false;
    }

    @Override
    public String name() {
      return "guessing";
    }

    @Override
    public Map<String, String> badFiles() {
      return Map.of();
    }

    @Override
    public void close() {}
  }

  @ParameterizedTest(name = "width guess {0}")
  @ValueSource(ints = {-1, 0, 4, 10, 200})
  void positionalAndExplodedListsGiveTheSameUnitsWithNullRatesAndAWideLayer(int guess) {
    String rate = "CASE WHEN k = 4 AND i % 3 = 0 THEN NULL WHEN k = 5 THEN NULL WHEN k < 2 THEN 0.0"
        + " ELSE ((i * 7 + k * 13) % 10) / 10.0 END";
    int wide = ReportSql.MAX_POSITIONAL_UNITS + 22;
    TestLogs.writeRun(root, "r", 60, 3, 0, List.of(Layer.healthy(0).firingRate(rate),
        new Layer(1, "relu", wide, rate, "0.5", "NULL", "0.5", "0", "5.0", "0.005", "0")));
    try (DuckDbEngine engine = new DuckDbEngine(ActivationLog.open(root.toString()), true)) {
      List<Windows> windows = List.of(Windows.of("r", 0, 59, 10));
      List<NeuronWindowRow> got = new Guessing(engine, guess).neuronWindows(windows);
      List<NeuronWindowRow> exploded = engine.explodedUnits(ReportSql.neuronWindows(ReportSql.Dialect.DUCKDB, windows,
          null, false));
      assertEquals((10 + wide) * 10, exploded.size());
      assertEquals(exploded.size(), got.size());
      for (int i = 0; i < got.size(); i++) {
        NeuronWindowRow g = got.get(i);
        NeuronWindowRow e = exploded.get(i);
        String where = "row " + i + ": " + g + " vs " + e;
        assertEquals(List.of(e.runId(), e.layerIndex(), e.window(), e.neuron(), e.snapshots()),
            List.of(g.runId(), g.layerIndex(), g.window(), g.neuron(), g.snapshots()), where);
        assertEquals(e.maxRate(), g.maxRate(), 0.0, where);
        assertEquals(e.sumRate(), g.sumRate(), Double.isNaN(e.sumRate()) ? 0 : 1e-9 * Math.max(1, Math.abs(e.sumRate())), where);
      }
      NeuronWindowRow allNull = got.stream().filter(r -> r.layerIndex() == 0 && r.neuron() == 5).findFirst().orElseThrow();
      assertTrue(Double.isNaN(allNull.maxRate()) && Double.isNaN(allNull.sumRate()), allNull.toString());
      assertEquals(3 * 6, allNull.snapshots()); // 3 workers x 6 iterations per window, NULL rates counted
    }
  }

  @Test
  void listsOfDifferentLengthsCountEachUnitOnlyWhereItExists() {
    // Window 0 of layer 2: 5 snapshots of 3 units, 2 of 2 units; unit 1 NULL in the long lists.
    List<UnitsByPositionRow> rows = List.of(
        new UnitsByPositionRow("r", 2, 0, 3, 5L, Arrays.asList((double) 0.5f, null, (double) 0.9f),
            List.of(1.5, Double.NaN, 2.0)),
        new UnitsByPositionRow("r", 2, 0, 2, 2L, Arrays.asList((double) 0.7f, (double) 0.2f, null),
            List.of(1.0, 0.3, Double.NaN)));
    List<NeuronWindowRow> units = SqlReportEngine.byPosition(rows, 3);
    assertEquals(List.of(
            new NeuronWindowRow("r", 2, 0, 0, 0.7f, 1.5 + 1.0, 7),
            new NeuronWindowRow("r", 2, 0, 1, 0.2f, 0.3, 7),
            new NeuronWindowRow("r", 2, 0, 2, 0.9f, 2.0, 5)),
        units, () -> Arrays.deepToString(units.toArray()));
  }
}
