package dev.activationmonkey.collector.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.collector.TestRecords;
import dev.activationmonkey.collector.dataset.Storage;
import dev.activationmonkey.snapshot.RecordType;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.hadoop.fs.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes every table and reads it back with DuckDB, an independent Parquet reader. */
class ParquetTablesTest {
  @TempDir java.nio.file.Path dir;

  private String write(Table<Row> table, RecordType type, List<? extends SpecificRecordBase> records) throws Exception {
    return write(table, type, records, 1 << 20);
  }

  private String write(Table<Row> table, RecordType type, List<? extends SpecificRecordBase> records, long rowGroupBytes) throws Exception {
    Storage storage = Storage.open(dir.toString(), Map.of());
    Path file = new Path(storage.root(), table.name() + "-" + records.size() + "-" + rowGroupBytes + ".parquet");
    try (TableFileWriter<Row> writer = ParquetFiles.open(table, storage.outputFile(file), rowGroupBytes, 3)) {
      long offset = 100;
      for (SpecificRecordBase record : records) {
        writer.write(new Row(record, type, 2, "monkey.snapshots", 4, offset++));
      }
    }
    return file.toUri().getPath();
  }

  @Test
  void snapshotsReadBackColumnForColumn() throws Exception {
    LayerSnapshot full = TestRecords.snapshot("run-a", 1, 250, 2, Kind.ACTIVATION, 8, true);
    LayerSnapshot bare = TestRecords.snapshot("run-a", 0, 251, 0, Kind.GRADIENT, 0, false);
    bare.setHistogram(null);
    String file = write(Tables.SNAPSHOTS, RecordType.LAYER_SNAPSHOT, List.of(full, bare));

    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement()) {
      ResultSet rs = st.executeQuery("SELECT * FROM read_parquet('" + file + "') ORDER BY kafka_offset");
      assertTrue(rs.next());
      assertEquals(1, rs.getInt("partition_id"));
      assertEquals("worker-1", rs.getString("host"));
      assertEquals(250, rs.getLong("iteration"));
      assertEquals("dense_2", rs.getString("layer_name"));
      assertEquals("relu", rs.getString("activation_function"));
      assertNull(rs.getString("parameter_name"));
      assertEquals(full.getMean(), rs.getDouble("mean"));
      assertEquals(full.getStd(), rs.getDouble("std"));
      assertEquals(full.getHistogram().getEdges().size(), ((Object[]) rs.getArray("histogram_edges").getArray()).length);
      assertEquals(full.getHistogram().getCounts().get(3), ((Object[]) rs.getArray("histogram_counts").getArray())[3]);
      assertEquals("neuron", rs.getString("neuron_unit"));
      assertEquals(64, rs.getInt("neuron_examples"));
      Object[] rates = (Object[]) rs.getArray("firing_rate").getArray();
      assertEquals(8, rates.length);
      assertEquals(full.getNeurons().getFiringRate().get(5), rates[5]);
      assertEquals(full.getNeurons().getMeanActivation().get(7), ((Object[]) rs.getArray("mean_activation").getArray())[7]);
      assertEquals(0.01, rs.getDouble("saturated_fraction"));
      assertEquals(List.of(2, 16), List.of((Object[]) rs.getArray("sample_shape").getArray()));
      assertEquals(full.getSample().getValues().get(31), ((Object[]) rs.getArray("sample_values").getArray())[31]);
      assertEquals(2, rs.getInt("format_version"));
      assertEquals("monkey.snapshots", rs.getString("kafka_topic"));
      assertEquals(4, rs.getInt("kafka_partition"));
      assertEquals(100, rs.getLong("kafka_offset"));

      assertTrue(rs.next());
      assertEquals("W", rs.getString("parameter_name"));
      assertNull(rs.getArray("histogram_edges"));
      assertNull(rs.getArray("firing_rate"));
      assertNull(rs.getObject("saturated_fraction"));
      assertFalse(rs.next());

      ResultSet ts = st.executeQuery("SELECT epoch_ms(timestamp) AS ms, typeof(timestamp) AS t FROM read_parquet('" + file + "') ORDER BY kafka_offset");
      assertTrue(ts.next());
      assertEquals(full.getTimestampMillis().toEpochMilli(), ts.getLong("ms"));
      assertTrue(ts.getString("t").startsWith("TIMESTAMP"), ts.getString("t"));

      // No run_id or kind columns inside the files: they come from the hive partition directories.
      Set<String> columns = new HashSet<>();
      ResultSet describe = st.executeQuery("DESCRIBE SELECT * FROM read_parquet('" + file + "')");
      while (describe.next()) {
        columns.add(describe.getString("column_name"));
      }
      assertFalse(columns.contains("run_id"));
      assertFalse(columns.contains("kind"));
      assertEquals(Tables.SNAPSHOTS.columns().size(), columns.size());
    }
  }

  @Test
  void filesAreZstdCompressedWithByteStreamSplitFloats() throws Exception {
    List<LayerSnapshot> records = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      records.add(TestRecords.snapshot("run-a", i % 4, i, i % 3, TestRecords.kind(i), 16, false));
    }
    String file = write(Tables.SNAPSHOTS, RecordType.LAYER_SNAPSHOT, records);
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement()) {
      ResultSet rs = st.executeQuery("SELECT path_in_schema, compression, encodings FROM parquet_metadata('" + file + "')");
      Set<String> compressions = new HashSet<>();
      String meanEncodings = null;
      String rateEncodings = null;
      while (rs.next()) {
        compressions.add(rs.getString("compression"));
        if (rs.getString("path_in_schema").equals("mean")) {
          meanEncodings = rs.getString("encodings");
        }
        if (rs.getString("path_in_schema").startsWith("firing_rate")) {
          rateEncodings = rs.getString("encodings");
        }
      }
      assertEquals(Set.of("ZSTD"), compressions);
      assertTrue(meanEncodings.contains("BYTE_STREAM_SPLIT"), meanEncodings);
      assertTrue(rateEncodings.contains("BYTE_STREAM_SPLIT"), rateEncodings);
      ResultSet count = st.executeQuery("SELECT count(*), sum(len(firing_rate)) FROM read_parquet('" + file + "')");
      count.next();
      assertEquals(500, count.getLong(1));
    }
  }

  @Test
  void emptyListsAndMapsStayEmptyNotNull() throws Exception {
    LayerSnapshot empty = TestRecords.snapshot("run-a", 0, 1, 0, Kind.ACTIVATION, 1, false);
    empty.getHistogram().setEdges(List.of());
    empty.getHistogram().setCounts(List.of());
    empty.getNeurons().setFiringRate(List.of());
    empty.getNeurons().setMeanActivation(List.of());
    LayerSnapshot one = TestRecords.snapshot("run-a", 0, 2, 0, Kind.ACTIVATION, 1, false);
    String file = write(Tables.SNAPSHOTS, RecordType.LAYER_SNAPSHOT, List.of(empty, one));
    var start = TestRecords.runStart("run-b");
    start.setTags(Map.of());
    start.getNetwork().setLayers(List.of());
    String runs = write(Tables.RUNS, RecordType.RUN_START, List.of(start));
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement()) {
      ResultSet rs = st.executeQuery("SELECT len(histogram_edges), len(histogram_counts), len(firing_rate), len(mean_activation),"
          + " firing_rate[1] FROM read_parquet('" + file + "') ORDER BY kafka_offset");
      assertTrue(rs.next());
      for (int c = 1; c <= 4; c++) {
        assertEquals(0, rs.getInt(c), "column " + c);
        assertFalse(rs.wasNull(), "column " + c + " is an empty list, not null");
      }
      assertTrue(rs.next());
      assertEquals(1, rs.getInt(3));
      assertEquals(one.getNeurons().getFiringRate().get(0), rs.getFloat(5));
      rs = st.executeQuery("SELECT len(network_layers), cardinality(tags), data_source FROM read_parquet('" + runs + "')");
      assertTrue(rs.next());
      assertEquals(0, rs.getInt(1));
      assertFalse(rs.wasNull());
      assertEquals(0, rs.getInt(2));
      assertFalse(rs.wasNull());
      assertEquals(start.getData().getSource(), rs.getString(3));
    }
  }

  @Test
  void manyRowGroupsKeepEveryValueInItsRow() throws Exception {
    List<LayerSnapshot> records = new ArrayList<>();
    double expectedRateSum = 0;
    long expectedCountSum = 0;
    for (int i = 0; i < 3000; i++) {
      LayerSnapshot s = TestRecords.snapshot("run-a", i % 4, i, i % 3, TestRecords.kind(i), i % 7 == 0 ? 0 : 1 + i % 200, i % 11 == 0);
      if (i % 5 == 0) {
        s.setHistogram(null);
      }
      records.add(s);
      if (s.getNeurons() != null) {
        for (float f : s.getNeurons().getFiringRate()) {
          expectedRateSum += f;
        }
      }
      if (s.getHistogram() != null) {
        expectedCountSum += s.getHistogram().getCounts().stream().mapToLong(Long::longValue).sum();
      }
    }
    String file = write(Tables.SNAPSHOTS, RecordType.LAYER_SNAPSHOT, records, 64 << 10);
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement()) {
      ResultSet rs = st.executeQuery("SELECT count(DISTINCT row_group_id) FROM parquet_metadata('" + file + "')");
      rs.next();
      assertTrue(rs.getInt(1) > 1, "row groups: " + rs.getInt(1));
      rs = st.executeQuery("SELECT kafka_offset, iteration, len(firing_rate) AS n, firing_rate[len(firing_rate)] AS last_rate,"
          + " histogram_counts IS NULL AS no_histogram, len(sample_values) AS samples FROM read_parquet('" + file + "') ORDER BY kafka_offset");
      for (int i = 0; i < records.size(); i++) {
        assertTrue(rs.next());
        LayerSnapshot s = records.get(i);
        assertEquals(100 + i, rs.getLong("kafka_offset"));
        assertEquals(s.getIteration(), rs.getLong("iteration"));
        List<Float> rates = s.getNeurons() == null ? null : s.getNeurons().getFiringRate();
        if (rates == null) {
          rs.getInt("n");
          assertTrue(rs.wasNull(), "row " + i);
        } else {
          assertEquals(rates.size(), rs.getInt("n"), "row " + i);
          if (!rates.isEmpty()) {
            assertEquals(rates.get(rates.size() - 1), rs.getFloat("last_rate"), "row " + i);
          }
        }
        assertEquals(s.getHistogram() == null, rs.getBoolean("no_histogram"), "row " + i);
        assertEquals(s.getSample() == null ? 0 : s.getSample().getValues().size(), rs.getInt("samples"), "row " + i);
      }
      assertFalse(rs.next());
      rs = st.executeQuery("SELECT sum(list_sum(firing_rate)), sum(list_sum(histogram_counts)) FROM read_parquet('" + file + "')");
      rs.next();
      assertEquals(expectedRateSum, rs.getDouble(1), 1e-3 * Math.max(1, expectedRateSum));
      assertEquals(expectedCountSum, rs.getLong(2));
    }
  }

  @Test
  void runLevelTablesReadBack() throws Exception {
    String runs = write(Tables.RUNS, RecordType.RUN_START, List.of(TestRecords.runStart("run-a")));
    String evaluations = write(Tables.EVALUATIONS, RecordType.EVALUATION, List.of(TestRecords.evaluation("run-a", 0), TestRecords.evaluation("run-a", 1)));
    String ends = write(Tables.RUN_ENDS, RecordType.RUN_END, List.of(TestRecords.runEnd("run-a")));
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement st = db.createStatement()) {
      ResultSet rs = st.executeQuery("SELECT network_total_parameters, network_updater, len(network_layers) AS layers,"
          + " network_layers[2].name AS second, network_layers[2].dropout AS dropout, network_layers[1].dropout AS no_dropout,"
          + " data_batch_size, tags['team'] AS team, workers FROM read_parquet('" + runs + "')");
      assertTrue(rs.next());
      assertEquals(235_146, rs.getLong("network_total_parameters"));
      assertEquals("Adam", rs.getString("network_updater"));
      assertEquals(2, rs.getInt("layers"));
      assertEquals("output", rs.getString("second"));
      assertEquals(0.5, rs.getDouble("dropout"));
      assertNull(rs.getObject("no_dropout"));
      assertEquals(64, rs.getInt("data_batch_size"));
      assertEquals("vision", rs.getString("team"));
      assertEquals(2, rs.getInt("workers"));

      rs = st.executeQuery("SELECT epoch, loss FROM read_parquet('" + evaluations + "') ORDER BY epoch");
      assertTrue(rs.next());
      assertEquals(0.3, rs.getDouble("loss"));
      assertTrue(rs.next());
      assertEquals(0.15, rs.getDouble("loss"));

      rs = st.executeQuery("SELECT status, message, snapshots_resent FROM read_parquet('" + ends + "')");
      assertTrue(rs.next());
      assertEquals("succeeded", rs.getString("status"));
      assertNull(rs.getString("message"));
      assertEquals(3, rs.getLong("snapshots_resent"));
    }
  }
}
