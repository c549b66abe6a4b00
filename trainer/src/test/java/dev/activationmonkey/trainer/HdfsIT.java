package dev.activationmonkey.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.localkafka.KafkaBroker;
import dev.activationmonkey.localkafka.KafkaFixture;
import dev.activationmonkey.snapshot.avro.RunStatus;
import dev.activationmonkey.trainer.data.DataSetExport;
import dev.activationmonkey.trainer.spec.JobSpec;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data where teams keep it: a real HDFS (a NameNode and a DataNode of Hadoop's MiniDFSCluster, on 127.0.0.1) holding
 * CSV part files and exported DataSet files; the executors read them through {@code hdfs://} URIs.
 */
class HdfsIT {
  @TempDir
  static Path hdfsHome;
  @TempDir
  Path temp;

  private static MiniDFSCluster hdfs;
  private static String root;

  @BeforeAll
  static void startHdfs() throws Exception {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, hdfsHome.toString());
    conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
    conf.set("dfs.datanode.address", "127.0.0.1:0");
    conf.set("dfs.datanode.http.address", "127.0.0.1:0");
    conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
    hdfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).nameNodeHttpPort(0).build();
    hdfs.waitActive();
    root = "hdfs://127.0.0.1:" + hdfs.getNameNodePort();
  }

  @AfterAll
  static void stopHdfs() {
    if (hdfs != null) {
      hdfs.shutdown();
    }
  }

  private String job(String topic, String data, String network) {
    return """
        name: hdfs
        data: %s
        network: %s
        training: {epochs: 2, workers: 2, master: "local[2]"}
        logging:
          every: 5
          kinds: [activations]
          kafka: {bootstrap-servers: "%s", topic: %s, spill-dir: "%s"}
        """.formatted(data, network, KafkaFixture.shared().bootstrapServers(), topic, temp.resolve("spill"));
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }

  @Test
  void csvPartFilesOnHdfsAreReadByTheExecutorsEveryRowOnceAnEpoch() throws Exception {
    FileSystem fs = hdfs.getFileSystem();
    Random random = new Random(5);
    int rows = 0;
    for (int part = 0; part < 3; part++) {
      try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path("/blobs/part-0000" + part + ".csv"))) {
        StringBuilder b = new StringBuilder("label,a,b,c\n");
        for (int i = 0; i < 700 + part; i++, rows++) {
          int label = rows % 3;
          b.append(label);
          for (int f = 0; f < 3; f++) {
            // Quoted numbers, as spreadsheet exports write them.
            b.append(",\"").append(String.format(Locale.ROOT, "%.4f", label * 2 + random.nextGaussian())).append('"');
          }
          b.append('\n');
        }
        out.write(b.toString().getBytes(StandardCharsets.UTF_8));
      }
    }
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "hdfs-csv-" + System.nanoTime();
    broker.createTopic(topic, 2);
    JobSpec spec = JobSpec.parse(job(topic, "{format: csv, path: \"" + root + "/blobs\", csv: {header: true},"
        + " test-fraction: 0, batch-size: 32}", "{updater: {type: sgd, learning-rate: 0.05}, layers: [{type: dense,"
        + " size: 8, activation: relu}, {type: output, size: 3, activation: softmax}]}"), "hdfs-csv.yaml");

    RunResult result = new Trainer().run(spec, quiet(), false);

    assertEquals(RunStatus.SUCCEEDED, result.status());
    assertEquals(2103, rows);
    assertEquals(rows, result.examplesPerEpoch(), "every row of the three part files, headers skipped");
    assertEquals(2L * rows, result.examples());
  }

  @Test
  void dataSetFilesExportedToHdfsTrainFromThere() {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "hdfs-export-" + System.nanoTime();
    broker.createTopic(topic, 2);
    String network = "{updater: {type: adam, learning-rate: 0.01}, layers: [{type: dense, size: 32, activation: relu},"
        + " {type: output, size: 10, activation: softmax}]}";
    String out = root + "/exported";
    JobSpec source = JobSpec.parse(job(topic, "{limit: 500, test-fraction: 0.2, batch-size: 32}", network),
        "source.yaml");

    DataSetExport.Result written = DataSetExport.run(source, out, quiet());
    assertEquals(400, written.trainExamples());

    JobSpec spec = JobSpec.parse(job(topic, "{format: datasets, path: \"" + out + "/train\", test-path: \"" + out
        + "/test\"}", network), "exported.yaml");
    RunResult result = new Trainer().run(spec, quiet(), false);
    assertEquals(RunStatus.SUCCEEDED, result.status());
    assertEquals(400, result.examplesPerEpoch());
    assertEquals(800, result.examples());
    assertTrue(result.finalAccuracy() > 0.3, "learns from the files on HDFS: " + result.finalAccuracy());
  }
}
