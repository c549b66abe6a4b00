package dev.activationmonkey.collector;

import dev.activationmonkey.snapshot.RecordKeys;
import dev.activationmonkey.snapshot.SnapshotCodec;
import dev.activationmonkey.snapshot.avro.ActivationSample;
import dev.activationmonkey.snapshot.avro.DataSummary;
import dev.activationmonkey.snapshot.avro.Evaluation;
import dev.activationmonkey.snapshot.avro.Histogram;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerInfo;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.NetworkSummary;
import dev.activationmonkey.snapshot.avro.NeuronStats;
import dev.activationmonkey.snapshot.avro.NeuronUnit;
import dev.activationmonkey.snapshot.avro.RunEnd;
import dev.activationmonkey.snapshot.avro.RunStart;
import dev.activationmonkey.snapshot.avro.RunStatus;
import dev.activationmonkey.snapshot.avro.WorkerId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Realistic records of every type, deterministic for a given seed. */
public final class TestRecords {
  private TestRecords() {}

  private static final Kind[] KINDS = Kind.values();

  /** A layer snapshot; {@code neurons} units of per-neuron stats (0 = none) and an optional sample. */
  public static LayerSnapshot snapshot(String runId, int partitionId, long iteration, int layerIndex, Kind kind, int neurons, boolean sample) {
    Random random = new Random(iteration * 31 + layerIndex);
    List<Double> edges = new ArrayList<>();
    List<Long> counts = new ArrayList<>();
    for (int i = 0; i <= 20; i++) {
      edges.add(-1.0 + i * 0.1);
      if (i < 20) {
        counts.add((long) random.nextInt(1000));
      }
    }
    LayerSnapshot.Builder b = LayerSnapshot.newBuilder()
        .setRunId(runId)
        .setWorker(WorkerId.newBuilder().setPartitionId(partitionId).setAttemptNumber(0).setTaskAttemptId(1000 + partitionId)
            .setStageId(3).setExecutorId("driver").setHost("worker-" + partitionId).setThread("Executor task launch worker-" + partitionId).build())
        .setEpoch((int) (iteration / 100)).setIteration(iteration).setLayerIndex(layerIndex).setLayerName("dense_" + layerIndex)
        .setLayerType("DenseLayer").setActivationFunction(kind == Kind.ACTIVATION ? "relu" : null).setKind(kind)
        .setParameterName(kind == Kind.ACTIVATION ? null : "W")
        .setTimestampMillis(Instant.ofEpochMilli(1_700_000_000_000L + iteration * 10))
        .setCount(64 * 256).setMean(random.nextGaussian()).setStd(Math.abs(random.nextGaussian())).setMin(-1).setMax(1)
        .setMeanAbs(0.3).setL2Norm(12.5).setZeroFraction(0.4).setNearZeroFraction(0.45).setNearZeroThreshold(1e-6)
        .setNanCount(0).setPosInfCount(0).setNegInfCount(0)
        .setHistogram(Histogram.newBuilder().setEdges(edges).setCounts(counts).build())
        .setSaturatedFraction(kind == Kind.ACTIVATION ? 0.01 : null);
    if (neurons > 0 && kind == Kind.ACTIVATION) {
      List<Float> rates = new ArrayList<>();
      List<Float> means = new ArrayList<>();
      for (int i = 0; i < neurons; i++) {
        rates.add(random.nextFloat());
        means.add(random.nextFloat() * 2);
      }
      b.setNeurons(NeuronStats.newBuilder().setUnit(NeuronUnit.NEURON).setExamples(64).setFiringRate(rates).setMeanActivation(means).build());
    }
    if (sample) {
      List<Float> values = new ArrayList<>();
      for (int i = 0; i < 2 * 16; i++) {
        values.add(random.nextFloat());
      }
      b.setSample(ActivationSample.newBuilder().setShape(List.of(2, 16)).setValues(values).build());
    }
    return b.build();
  }

  public static Kind kind(long i) {
    return KINDS[(int) (i % KINDS.length)];
  }

  public static RunStart runStart(String runId) {
    return RunStart.newBuilder().setRunId(runId).setTimestampMillis(Instant.ofEpochMilli(1_700_000_000_000L))
        .setJobSpec("network: mlp\nepochs: 2\n").setSparkMaster("local[2]").setWorkers(2).setTrainingMaster("parameter-averaging")
        .setNetwork(NetworkSummary.newBuilder().setTotalParameters(235_146).setUpdater("Adam").setLayers(List.of(
            LayerInfo.newBuilder().setIndex(0).setName("dense_0").setType("DenseLayer").setActivationFunction("relu").setWeightInit("XAVIER")
                .setInputs(784).setOutputs(256).setParameters(200_960).setDropout(null).setL1(null).setL2(1e-4).build(),
            LayerInfo.newBuilder().setIndex(1).setName("output").setType("OutputLayer").setActivationFunction("softmax").setWeightInit(null)
                .setInputs(256).setOutputs(10).setParameters(2_570).setDropout(0.5).setL1(null).setL2(null).build())).build())
        .setData(DataSummary.newBuilder().setSource("mnist").setTrainExamples(60_000).setTestExamples(10_000).setFeatures(784)
            .setClasses(10).setBatchSize(64).build())
        .setTags(Map.of("team", "vision", "purpose", "test"))
        .build();
  }

  public static Evaluation evaluation(String runId, int epoch) {
    return Evaluation.newBuilder().setRunId(runId).setEpoch(epoch).setIteration(epoch * 100L)
        .setTimestampMillis(Instant.ofEpochMilli(1_700_000_100_000L + epoch)).setExamples(10_000)
        .setLoss(0.3 / (epoch + 1)).setAccuracy(0.9).setPrecision(0.91).setRecall(0.89).setF1(0.9).build();
  }

  public static RunEnd runEnd(String runId) {
    return RunEnd.newBuilder().setRunId(runId).setTimestampMillis(Instant.ofEpochMilli(1_700_000_200_000L)).setStatus(RunStatus.SUCCEEDED)
        .setMessage(null).setEpochs(2).setIterations(200).setDurationMillis(120_000).setSnapshotsSent(1000)
        .setSnapshotsSpilled(0).setSnapshotsResent(3).setSnapshotsDropped(0).build();
  }

  public static ProducerRecord<byte[], byte[]> snapshotRecord(String topic, LayerSnapshot s) {
    return new ProducerRecord<>(topic, RecordKeys.worker(s.getRunId(), s.getWorker().getPartitionId()), SnapshotCodec.INSTANCE.encode(s));
  }
}
