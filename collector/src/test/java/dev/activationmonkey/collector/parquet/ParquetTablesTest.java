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
import org.apache.parquet.hadoop.ParquetWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes every table and reads it back with DuckDB, an independent Parquet reader. */
class ParquetTablesTest {
  @TempDir java.nio.file.Path dir;

  private String write(Table<Row> table, RecordType type, List<? extends SpecificRecordBase> records) throws Exception {
    Storage storage = Storage.open(dir.toString(), Map.of());
    Path file = new Path(storage.root(), table.name() + ".parquet");
    try (ParquetWriter<Row> writer = ParquetFiles.open(table, storage.outputFile(file), 1 << 20, 3)) {
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
