package dev.activationmonkey.trainer.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import dev.activationmonkey.trainer.network.TrainableNetwork;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;

class NetworkPoolTest {
  private static String json(int hidden) {
    return new NeuralNetConfiguration.Builder().list()
        .layer(new DenseLayer.Builder().nIn(4).nOut(hidden).build())
        .layer(new OutputLayer.Builder().nIn(hidden).nOut(3).build())
        .build().toJson();
  }

  @Test
  void aRunsNetworksArePooledPerConfiguration() {
    String small = json(2);
    String large = json(8);
    TrainableNetwork a = NetworkPool.borrow("run-a", false, small, null);
    NetworkPool.giveBack("run-a", false, small, null, a);
    // Same run, another network (the scaling benchmark trains an MLP and a CNN): never the other one's network.
    TrainableNetwork b = NetworkPool.borrow("run-a", false, large, null);
    assertNotSame(a, b);
    assertEquals(4 * 8 + 8 + 8 * 3 + 3, b.model().numParams());
    assertSame(a, NetworkPool.borrow("run-a", false, small, null), "the pooled network is reused");
    NetworkPool.giveBack("run-a", false, small, null, a);
    // A new run drops the networks of others.
    NetworkPool.borrow("run-b", false, small, null);
    assertNotSame(a, NetworkPool.borrow("run-a", false, small, null));
    NetworkPool.forget("run-a");
    NetworkPool.forget("run-b");
  }

  @Test
  void aGraphIsBuiltFromItsConfigurationAndPooledApartFromNetworks() {
    String graphJson = new NeuralNetConfiguration.Builder().graphBuilder().addInputs("in")
        .setInputTypes(InputType.feedForward(4))
        .addLayer("d1", new DenseLayer.Builder().nOut(4).build(), "in")
        .addVertex("skip", new ElementWiseVertex(ElementWiseVertex.Op.Add), "in", "d1")
        .addLayer("out", new OutputLayer.Builder().nOut(3).build(), "skip")
        .setOutputs("out").build().toJson();
    TrainableNetwork g = NetworkPool.borrow("run-g", true, graphJson, null);
    assertTrue(g.isGraph());
    assertTrue(g.model() instanceof ComputationGraph);
    assertEquals(4 * 4 + 4 + 4 * 3 + 3, g.params().length());
    NetworkPool.giveBack("run-g", true, graphJson, null, g);
    assertSame(g, NetworkPool.borrow("run-g", true, graphJson, null), "the pooled graph is reused");
    NetworkPool.forget("run-g");
  }
}
