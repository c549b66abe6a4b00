package dev.activationmonkey.analytics.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.TestLogs;
import dev.activationmonkey.analytics.TestLogs.Layer;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every query of {@link ReportSql} returns exactly the columns its contract names, in its order, and each row
 * record's components are the contract's columns (names and Java types): a column added, renamed or moved on
 * one side only fails here (and {@link SqlRows#read} refuses the result instead of reading it shifted).
 */
class ReportSqlContractTest {
  @TempDir
  Path root;

  /** One query: its SQL, its contract, and the record its rows are read into (null: a one-column query). */
  record Case(String name, String sql, List<? extends ResultColumn> contract, Class<? extends Record> row) {}

  /**
   * A small log with every kind, three workers (the fewest whose statistics are compared), a NaN, a retried worker
   * and evaluations: every query returns rows.
   */
  static void writeLog(Path root) throws Exception {
    TestLogs.writeRun(root, "a", 30, 3, 0, List.of(Layer.healthy(0),
        Layer.healthy(1).nanCount("CASE WHEN i > 20 THEN 1 ELSE 0 END")));
    TestLogs.writeRun(root, "a", 30, 1, 1, List.of(Layer.healthy(1).zeroFraction("0.9")));
    Path evaluations = root.resolve("evaluations/run_id=a");
    Files.createDirectories(evaluations);
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement()) {
      st.execute("COPY (SELECT CAST(e AS INTEGER) AS epoch, CAST(e * 10 + 9 AS BIGINT) AS iteration, 1.0 - e / 10.0 AS loss, "
          + "0.5 + e / 10.0 AS accuracy FROM range(3) t(e)) TO '"
          + evaluations.resolve("part-0.parquet").toString().replace("'", "''") + "' (FORMAT PARQUET)");
      Path runs = root.resolve("runs/run_id=a");
      Files.createDirectories(runs);
      st.execute("COPY (SELECT 'network: {updater: {schedule: {type: map, values: {0: 0.1, 20: 0.01}}}}' AS job_spec) TO '"
          + runs.resolve("part-0.parquet").toString().replace("'", "''") + "' (FORMAT PARQUET)");
    }
  }

  static List<Case> cases(SqlReportEngine engine, ReportSql.Dialect dialect) {
    List<String> runs = List.of("a");
    List<Windows> windows = List.of(Windows.of("a", 0, 29, 3));
    Map<String, long[]> ranges = engine.keyRanges(runs);
    KeySpace keys = KeySpace.of(runs, ranges);
    assertNotNull(keys);
    List<String> codes = List.of("W", "b");
    List<Case> cases = new ArrayList<>(List.of(
        new Case("runIds", ReportSql.runIds(), List.of(ScalarColumn.RUN_ID), null),
        new Case("parameterNames", ReportSql.parameterNames(runs), List.of(ScalarColumn.PARAMETER_NAME), null),
        new Case("maxUnits", ReportSql.maxUnits(dialect, runs), List.of(ScalarColumn.MAX_UNITS), null),
        new Case("iterationRanges", ReportSql.iterationRanges(runs), List.of(IterationRangeRow.Column.values()),
            IterationRangeRow.class),
        new Case("layers", ReportSql.layers(runs, true), List.of(LayerRow.Column.values()), LayerRow.class),
        new Case("layers, every kind", ReportSql.layers(runs, false), List.of(LayerRow.Column.values()), LayerRow.class),
        new Case("neuronWindowsByPosition", ReportSql.neuronWindowsByPosition(dialect, windows, null, 3, false),
            UnitsByPositionRow.columns(3), UnitsByPositionRow.class),
        new Case("neuronWindows", ReportSql.neuronWindows(dialect, windows, Map.of("a", List.of(1)), true),
            List.of(NeuronWindowRow.Column.values()), NeuronWindowRow.class),
        new Case("neuronIterations", ReportSql.neuronIterations(dialect, "a", 0, true, 0, 2),
            List.of(NeuronIterationRow.Column.values()), NeuronIterationRow.class),
        new Case("finalAccuracy", ReportSql.finalAccuracy(runs), List.of(FinalAccuracyRow.Column.values()),
            FinalAccuracyRow.class),
        new Case("evaluations", ReportSql.evaluations(runs), List.of(EvaluationRow.Column.values()),
            EvaluationRow.class),
        new Case("jobSpecs", ReportSql.jobSpecs(runs), List.of(JobSpecRow.Column.values()), JobSpecRow.class),
        new Case("workerSteps", ReportSql.workerSteps(dialect, windows, true), List.of(WorkerStepRow.Column.values()),
            WorkerStepRow.class),
        new Case("workerSteps, raw rows", ReportSql.workerSteps(dialect, windows, false),
            List.of(WorkerStepRow.Column.values()), WorkerStepRow.class),
        new Case("workerDisagreement", ReportSql.workerDisagreement(windows, 3.0, 0.3, true),
            List.of(WorkerStatRow.Column.values()), WorkerStatRow.class),
        new Case("workerDisagreement, raw rows", ReportSql.workerDisagreement(windows, 3.0, 0.3, false),
            List.of(WorkerStatRow.Column.values()), WorkerStatRow.class)));
    for (KeySpace k : Arrays.asList(null, keys)) {
      for (String source : List.of("snapshots_all", "snapshots")) {
        for (boolean nonFinite : new boolean[] {true, false}) {
          cases.add(new Case("layerIterations keys " + (k != null) + " " + source + " nonFinite " + nonFinite,
              ReportSql.layerIterations(dialect, windows, source, codes, k, nonFinite),
              List.of(LayerBinRow.Column.values()), LayerBinRow.class));
        }
      }
    }
    return cases;
  }

  /** Runs every query on the engine: each returns rows, labelled as its contract says, and reads into its record. */
  static void assertQueriesMatchTheirContracts(SqlReportEngine engine, ReportSql.Dialect dialect) {
    for (Case c : cases(engine, dialect)) {
      SqlRows rows = engine.query(c.sql());
      assertFalse(rows.values().isEmpty(), c.name() + " returns rows on the test log");
      assertEquals(ResultColumn.labels(c.contract()), rows.labels(), c.name() + ": the result's columns");
      List<Object> read = rows.read(c.contract(), r -> r);
      assertEquals(rows.values().size(), read.size(), c.name());
    }
  }

  @Test
  void everyQueryReturnsTheColumnsOfItsContractOnDuckDb() throws Exception {
    writeLog(root);
    try (DuckDbEngine engine = new DuckDbEngine(ActivationLog.open(root.toString()), true)) {
      assertQueriesMatchTheirContracts(engine, ReportSql.Dialect.DUCKDB);
      // and the engine reads them all: the report's path over the same log
      assertEquals(Map.of("a", 0.7), engine.finalAccuracy(List.of("a")).entrySet().stream()
          .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> Math.round(e.getValue() * 10) / 10.0)));
      assertFalse(engine.layerIterations(List.of(Windows.of("a", 0, 29, 3))).isEmpty());
      assertTrue(engine.jobSpecs(List.of("a")).get("a").contains("values: {0: 0.1, 20: 0.01}"));
      assertEquals(java.util.Set.of("a"), engine.runsWithDuplicates());
    }
  }

  @Test
  void everyRowRecordHoldsItsContractsColumnsInOrder() throws Exception {
    writeLog(root);
    try (DuckDbEngine engine = new DuckDbEngine(ActivationLog.open(root.toString()), true)) {
      for (Case c : cases(engine, ReportSql.Dialect.DUCKDB)) {
        if (c.row() == null) {
          assertEquals(1, c.contract().size(), c.name());
          continue;
        }
        List<RecordComponent> components = Arrays.asList(c.row().getRecordComponents());
        List<? extends ResultColumn> contract = c.contract();
        if (c.row() == UnitsByPositionRow.class) {
          // the fixed columns, then the positions' max and sum, one list each
          contract = List.of(UnitsByPositionRow.Column.values());
          assertEquals(List.of("maxRates", "sumRates"),
              components.subList(contract.size(), components.size()).stream().map(RecordComponent::getName).toList());
          components = components.subList(0, contract.size());
          assertTrue(c.contract().subList(contract.size(), c.contract().size()).stream()
              .allMatch(col -> col.label().matches("(max|sum)_rate_[1-9][0-9]*")), c.name());
        }
        assertEquals(contract.stream().map(col -> componentName((Enum<?>) col)).toList(),
            components.stream().map(RecordComponent::getName).toList(), c.name() + ": record components");
        assertEquals(contract.stream().map(ResultColumn::type).toList(),
            components.stream().map(RecordComponent::getType).toList(), c.name() + ": record component types");
      }
    }
  }

  @Test
  void aResultWhoseColumnsAreNotTheContractsIsNotRead() {
    List<String> swapped = new ArrayList<>(ResultColumn.labels(List.of(FinalAccuracyRow.Column.values())));
    java.util.Collections.reverse(swapped);
    SqlRows rows = new SqlRows(swapped, List.<Object[]>of(new Object[] {0.7, "a"}));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> rows.read(List.of(FinalAccuracyRow.Column.values()), FinalAccuracyRow::read));
    assertEquals("The query returned columns [accuracy, run_id] where its contract names [run_id, accuracy]",
        e.getMessage());
    SqlRows extra = new SqlRows(List.of("run_id", "accuracy", "epoch"), List.<Object[]>of(new Object[] {"a", 0.7, 2}));
    assertThrows(IllegalStateException.class, () -> extra.read(List.of(FinalAccuracyRow.Column.values()),
        FinalAccuracyRow::read));
    // and one that is, by name
    assertEquals(List.of(new FinalAccuracyRow("a", 0.7)), new SqlRows(List.of("run_id", "accuracy"),
        List.<Object[]>of(new Object[] {"a", 0.7})).read(List.of(FinalAccuracyRow.Column.values()), FinalAccuracyRow::read));
  }

  /** LAYER_INDEX -> layerIndex. */
  private static String componentName(Enum<?> column) {
    String[] words = column.name().toLowerCase(Locale.ROOT).split("_");
    StringBuilder sb = new StringBuilder(words[0]);
    for (int i = 1; i < words.length; i++) {
      sb.append(Character.toUpperCase(words[i].charAt(0))).append(words[i].substring(1));
    }
    return sb.toString();
  }
}
