package dev.activationmonkey.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.localkafka.KafkaBroker;
import dev.activationmonkey.localkafka.KafkaFixture;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.RunEnd;
import dev.activationmonkey.snapshot.avro.RunStatus;
import dev.activationmonkey.trainer.cli.TrainCommand;
import dev.activationmonkey.trainer.data.DataSetExport;
import dev.activationmonkey.trainer.spec.JobSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** The trainer's parameter averaging on data the executors read: example counts, file formats, divergence. */
class DistributedTrainingIT {
  @TempDir
  Path temp;

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }

  private String job(KafkaBroker broker, String topic, String data, String training, String network) {
    return """
        name: dist
        data: %s
        network: %s
        training: %s
        logging:
          every: 1
          kinds: [activations]
          kafka: {bootstrap-servers: "%s", topic: %s, spill-dir: "%s"}
        """.formatted(data, network, training, broker.bootstrapServers(), topic, temp.resolve("spill"));
  }

  private static final String SMALL_NET = "{updater: {type: sgd, learning-rate: 0.05}, layers: [{type: dense, size: 8, "
      + "activation: relu}, {type: output, size: 3, activation: softmax}]}";

  private static final String MNIST_NET = "{updater: {type: adam, learning-rate: 0.01}, layers: [{type: dense, size: 32,"
      + " activation: relu}, {type: output, size: 10, activation: softmax}]}";

  @Test
  void everyExampleIsTrainedOnceAnEpochWhateverTheSizesWorkersBatchAndFrequency() throws IOException {
    // 9,001 examples: 7,201 train (split 2,401 / 2,400 / 2,400 over 3 workers), batch 64, averaging every 7.
    Path csv = temp.resolve("blobs.csv");
    Random random = new Random(3);
    StringBuilder rows = new StringBuilder("label,a,b,c,d\n");
    for (int i = 0; i < 9001; i++) {
      int label = i % 3;
      rows.append(label);
      for (int f = 0; f < 4; f++) {
        rows.append(',').append(String.format(Locale.ROOT, "%.4f", label * 2 + random.nextGaussian()));
      }
      rows.append('\n');
    }
    Files.writeString(csv, rows);
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "dist-uneven-" + System.nanoTime();
    broker.createTopic(topic, 3);
    JobSpec spec = JobSpec.parse(job(broker, topic,
        "{format: csv, path: \"" + csv.toUri() + "\", csv: {header: true}, test-fraction: 0.2, batch-size: 64}",
        "{epochs: 2, workers: 3, master: \"local[3]\", parameter-averaging: {averaging-frequency: 7}}", SMALL_NET),
        "uneven.yaml");

    RunResult result = new Trainer().run(spec, quiet(), false);

    assertEquals(RunStatus.SUCCEEDED, result.status());
    assertEquals(7201, result.examplesPerEpoch());
    assertEquals(2 * 7201, result.examples(), "every example once per epoch");
    long perEpochSteps = 3 * ((2400 + 63) / 64) + 0; // ceil(2401/64) = ceil(2400/64) = 38
    assertEquals(2 * perEpochSteps, result.iterations());
    assertTrue(result.finalAccuracy() > 0.9, "separable blobs: " + result.finalAccuracy());
    List<SpecificRecordBase> records = TopicReader.readAll(broker.bootstrapServers(), topic,
        r -> r.stream().anyMatch(x -> x instanceof RunEnd), Duration.ofSeconds(60));
    RunEnd end = (RunEnd) records.stream().filter(r -> r instanceof RunEnd).findFirst().orElseThrow();
    assertEquals(2 * 7201, end.getExamples());
    assertEquals(7201, end.getExamplesPerEpoch());
    long snapshots = records.stream().filter(r -> r instanceof LayerSnapshot).count();
    assertEquals(result.snapshotsSent(), snapshots);
    assertEquals(2 * 2 * perEpochSteps, snapshots, "activations of both layers at every step");
  }

  @Test
  void aDirectoryOfCsvPartFilesThatEachRepeatTheHeaderReadsEveryRow() throws IOException {
    Path dir = Files.createDirectories(temp.resolve("parts"));
    for (int part = 0; part < 3; part++) {
      StringBuilder rows = new StringBuilder("label,a,b\n");
      for (int i = 0; i < 100; i++) {
        int label = i % 3;
        rows.append(label).append(',').append(label).append(',').append(-label).append('\n');
      }
      Files.writeString(dir.resolve("part-0000" + part + ".csv"), rows);
    }
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "dist-parts-" + System.nanoTime();
    broker.createTopic(topic, 2);
    JobSpec spec = JobSpec.parse(job(broker, topic,
        "{format: csv, path: \"" + dir.toUri() + "\", csv: {header: true}, test-fraction: 0, batch-size: 32}",
        "{workers: 2, master: \"local[2]\"}", SMALL_NET), "parts.yaml");

    RunResult result = new Trainer().run(spec, quiet(), false);

    assertEquals(300, result.examplesPerEpoch(), "3 files of 100 rows, each with its header line");
  }

  @Test
  void aRunWhoseSparkJobFailsEndsAsFailedOnTheTopic() {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "dist-failed-" + System.nanoTime();
    broker.createTopic(topic, 2);
    // local[2]: a failed task is not retried, so the injected failure fails the job.
    JobSpec spec = TinyJobs.mlp(broker.bootstrapServers(), topic, temp, "local[2]",
        "  inject-failure: {partition: 1, after-iterations: 1}", "");

    Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
        () -> new Trainer().run(spec, quiet(), false));

    List<SpecificRecordBase> records = TopicReader.readAll(broker.bootstrapServers(), topic,
        r -> r.stream().anyMatch(x -> x instanceof RunEnd), Duration.ofSeconds(60));
    RunEnd end = (RunEnd) records.stream().filter(r -> r instanceof RunEnd).findFirst().orElseThrow();
    assertEquals(RunStatus.FAILED, end.getStatus(), "thrown: " + e);
    assertTrue(String.valueOf(end.getMessage()).contains("injected failure"), String.valueOf(end.getMessage()));
  }

  @Test
  void directoriesOfPreBatchedDataSetFilesTrainEveryFileOnceAnEpoch() throws IOException {
    Path dir = Files.createDirectories(temp.resolve("batches"));
    Random random = new Random(5);
    long examples = 0;
    for (int file = 0; file < 11; file++) {
      int n = 10 + file; // uneven batch sizes
      float[][] x = new float[n][4];
      float[][] y = new float[n][3];
      for (int i = 0; i < n; i++) {
        int label = random.nextInt(3);
        for (int f = 0; f < 4; f++) {
          x[i][f] = label * 2 + (float) random.nextGaussian();
        }
        y[i][label] = 1;
      }
      try (OutputStream out = Files.newOutputStream(dir.resolve("batch-" + file + ".bin"))) {
        new DataSet(Nd4j.create(x), Nd4j.create(y)).save(out);
      }
      examples += n;
    }
    Files.writeString(dir.resolve("_SUCCESS"), ""); // writers' markers are not data
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "dist-batches-" + System.nanoTime();
    broker.createTopic(topic, 2);
    JobSpec spec = JobSpec.parse(job(broker, topic, "{format: datasets, path: \"" + dir.toUri() + "\", test-fraction: 0}",
        "{epochs: 3, workers: 2, master: \"local[2]\"}", SMALL_NET), "batches.yaml");

    RunResult result = new Trainer().run(spec, quiet(), false);

    assertEquals(examples, result.examplesPerEpoch());
    assertEquals(3 * examples, result.examples());
    assertEquals(3 * 11, result.iterations(), "one step per file per epoch");
  }

  @Test
  void exportedDataSetFilesTrainLikeTheExamplesTheyCameFrom() {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "dist-export-" + System.nanoTime();
    broker.createTopic(topic, 2);
    String out = temp.resolve("exported").toUri().toString();
    JobSpec source = JobSpec.parse(job(broker, topic, "{limit: 500, test-fraction: 0.2, batch-size: 32}",
        "{workers: 2, master: \"local[2]\"}", MNIST_NET), "source.yaml");

    DataSetExport.Result written = DataSetExport.run(source, out, quiet());

    assertEquals(400, written.trainExamples());
    assertEquals(100, written.testExamples());
    assertEquals(2 * ((200 + 31) / 32), written.trainFiles(), "each worker's 200 examples in batches of 32");
    JobSpec spec = JobSpec.parse(job(broker, topic, "{format: datasets, path: \"" + out + "/train\", test-path: \""
        + out + "/test\"}", "{epochs: 3, workers: 2, master: \"local[2]\"}", MNIST_NET), "exported.yaml");
    RunResult result = new Trainer().run(spec, quiet(), false);
    assertEquals(400, result.examplesPerEpoch());
    assertEquals(1200, result.examples());
    assertTrue(result.finalAccuracy() > 0.5, "learns from the exported, normalised files: " + result.finalAccuracy());
  }

  @Test
  void aDivergingNetworkEndsAsDivergedWithExitFiveAndItsLogDelivered() throws IOException {
    KafkaBroker broker = KafkaFixture.shared();
    String topic = "dist-nan-" + System.nanoTime();
    broker.createTopic(topic, 2);
    Path yaml = temp.resolve("nan.yaml");
    Files.writeString(yaml, job(broker, topic, "{limit: 1000, batch-size: 50}",
        "{epochs: 5, workers: 2, master: \"local[2]\", parameter-averaging: {averaging-frequency: 2}}",
        // Gradient descent on a linear least-squares problem with a step far above 2 / the largest curvature.
        "{updater: {type: sgd, learning-rate: 100}, layers: [{type: dense, size: 16, activation: identity},"
            + " {type: output, size: 10, activation: identity, loss: mse}]}"));

    int exit = TrainCommand.execute("--config", yaml.toString());

    assertEquals(ExitCode.DIVERGED, exit);
    List<SpecificRecordBase> records = TopicReader.readAll(broker.bootstrapServers(), topic,
        r -> r.stream().anyMatch(x -> x instanceof RunEnd), Duration.ofSeconds(60));
    RunEnd end = (RunEnd) records.stream().filter(r -> r instanceof RunEnd).findFirst().orElseThrow();
    assertEquals(RunStatus.DIVERGED, end.getStatus());
    assertTrue(end.getFirstNonFiniteIteration() != null && end.getFirstNonFiniteIteration() >= 0, String.valueOf(end));
    assertTrue(end.getEpochs() < 5, "stopped early: " + end.getEpochs() + " epochs");
    long snapshots = records.stream().filter(r -> r instanceof LayerSnapshot).count();
    assertEquals(end.getSnapshotsSent(), snapshots, "every snapshot up to the divergence is on the topic");
    assertTrue(records.stream().filter(r -> r instanceof LayerSnapshot).map(r -> (LayerSnapshot) r)
        .anyMatch(s -> Double.isNaN(s.getMean()) || s.getNanCount() > 0 || s.getPosInfCount() > 0),
        "the log shows the non-finite values");
  }
}
