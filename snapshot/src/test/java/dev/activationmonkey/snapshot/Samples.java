package dev.activationmonkey.snapshot;

import dev.activationmonkey.snapshot.avro.ActivationSample;
import dev.activationmonkey.snapshot.avro.Histogram;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.NeuronStats;
import dev.activationmonkey.snapshot.avro.NeuronUnit;
import dev.activationmonkey.snapshot.avro.WorkerId;
import java.time.Instant;
import java.util.List;

final class Samples {
  private Samples() {}

  static LayerSnapshot layerSnapshot() {
    return LayerSnapshot.newBuilder()
        .setRunId("run-1")
        .setWorker(WorkerId.newBuilder().setPartitionId(3).setAttemptNumber(1).setTaskAttemptId(42).setStageId(7)
            .setExecutorId("driver").setHost("localhost").setThread("Executor task launch worker-0").build())
        .setEpoch(2).setIteration(150).setLayerIndex(1).setLayerName("dense_1").setLayerType("DenseLayer")
        .setActivationFunction("relu").setKind(Kind.ACTIVATION).setParameterName(null)
        .setTimestampMillis(Instant.ofEpochMilli(1_700_000_000_000L))
        .setCount(64 * 256).setMean(0.25).setStd(0.5).setMin(0).setMax(3.5).setMeanAbs(0.25).setL2Norm(40.0)
        .setZeroFraction(0.55).setNearZeroFraction(0.6).setNearZeroThreshold(1e-6)
        .setNanCount(0).setPosInfCount(0).setNegInfCount(0)
        .setHistogram(Histogram.newBuilder().setEdges(List.of(0.0, 1.0, 2.0)).setCounts(List.of(10L, 5L)).build())
        .setNeurons(NeuronStats.newBuilder().setUnit(NeuronUnit.NEURON).setExamples(64)
            .setFiringRate(List.of(0.0f, 0.5f, 1.0f)).setMeanActivation(List.of(0.0f, 0.2f, 0.9f)).build())
        .setSaturatedFraction(null)
        .setSample(ActivationSample.newBuilder().setShape(List.of(2, 3)).setValues(List.of(1f, 2f, 3f, 4f, 5f, 6f)).build())
        .build();
  }
}
