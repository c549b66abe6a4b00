package dev.activationmonkey.trainer.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.snapshot.SnapshotCodec;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.trainer.publish.DeliveryTotals;
import dev.activationmonkey.trainer.publish.KafkaSettings;
import dev.activationmonkey.trainer.publish.SnapshotProducer;
import dev.activationmonkey.trainer.publish.SpillStore;
import dev.activationmonkey.trainer.stats.StatsOptions;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Statistics computed on the publishing thread from copies equal those computed on the training thread from DL4J's
 * own arrays: two listeners on one network, one with copies off and one with a buffer too small for some callbacks
 * (so that it mixes both paths), every kind at every iteration with histograms, neuron vectors and samples. With no
 * broker listening, both producers spill; the spilled records are compared field by field.
 */
class OffloadedStatisticsTest {

  @AfterEach
  void closeProducers() {
    SnapshotProducer.closeAll();
  }

  @Test
  void offloadedSnapshotsEqualSnapshotsMadeOnTheTrainingThread(@TempDir Path spill) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(11).updater(new Adam(0.01))
        .list()
        .layer(new DenseLayer.Builder().nIn(12).nOut(16).activation(Activation.RELU).build())
        .layer(new DenseLayer.Builder().nIn(16).nOut(8).activation(Activation.TANH).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(8).nOut(3).activation(Activation.SOFTMAX)
            .build())
        .build());
    net.init();
    StatsOptions stats = new StatsOptions(8, true, 2, 64, 1e-3);
    ListenerConfig inline = new ListenerConfig("offload-test", ListenerConfig.allKinds(), 1, stats,
        settings(port, "inline", spill), -1, 0).withCopyBufferBytes(0);
    // Room for the forward pass's copies (~5 KB) but not always for a parameter table's as well.
    ListenerConfig offloaded = new ListenerConfig("offload-test", ListenerConfig.allKinds(), 1, stats,
        settings(port, "offloaded", spill), -1, 0).withCopyBufferBytes(6_000);
    SnapshotListener a = new SnapshotListener(inline, null);
    SnapshotListener b = new SnapshotListener(offloaded, null);
    net.setListeners(a, b);
    Nd4j.getRandom().setSeed(5);
    for (int step = 0; step < 6; step++) {
      var features = Nd4j.rand(DataType.FLOAT, 10, 12);
      var labels = Nd4j.zeros(DataType.FLOAT, 10, 3);
      for (int i = 0; i < 10; i++) {
        labels.putScalar(i, (i + step) % 3, 1);
      }
      net.fit(new DataSet(features, labels));
    }
    a.flush();
    b.flush();
    DeliveryTotals ta = a.localTotals();
    DeliveryTotals tb = b.localTotals();
    assertEquals(0, ta.dropped() + tb.dropped());
    List<LayerSnapshot> expected = spilled(spill.resolve("inline"));
    List<LayerSnapshot> actual = spilled(spill.resolve("offloaded"));
    // 6 steps x (3 activations + 6 gradients + 6 updates + 6 parameters)
    assertEquals(6 * 21, expected.size());
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.get(i), actual.get(i), "snapshot " + i);
    }
    assertTrue(expected.stream().anyMatch(s -> s.getKind() == Kind.ACTIVATION && s.getLayerIndex() == 2
        && s.getSample() != null), "the output layer's recomputed activations are among them");
  }

  private static KafkaSettings settings(int port, String topic, Path spill) {
    return new KafkaSettings("127.0.0.1:" + port, topic, 100, 1_000, spill.toString(), 64L << 20, 1_000, Map.of());
  }

  /** The spilled snapshots in a stable order, timestamps cleared (the two listeners take them microseconds apart). */
  private static List<LayerSnapshot> spilled(Path dir) throws Exception {
    List<LayerSnapshot> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        for (SpillStore.Entry e : SpillStore.read(file)) {
          LayerSnapshot s = SnapshotCodec.INSTANCE.decode(e.value(), LayerSnapshot.class);
          s.setTimestampMillis(Instant.EPOCH);
          out.add(s);
        }
      }
    }
    out.sort(Comparator.comparingLong(LayerSnapshot::getIteration).thenComparing(s -> s.getKind().ordinal())
        .thenComparingInt(LayerSnapshot::getLayerIndex)
        .thenComparing(s -> s.getParameterName() == null ? "" : s.getParameterName().toString()));
    return out;
  }
}
