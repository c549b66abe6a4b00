package dev.activationmonkey.trainer.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
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
    MultiLayerNetwork a = NetworkPool.borrow("run-a", small);
    NetworkPool.giveBack("run-a", small, a);
    // Same run, another network (the scaling benchmark trains an MLP and a CNN): never the other one's network.
    MultiLayerNetwork b = NetworkPool.borrow("run-a", large);
    assertNotSame(a, b);
    assertEquals(4 * 8 + 8 + 8 * 3 + 3, b.numParams());
    assertSame(a, NetworkPool.borrow("run-a", small), "the pooled network is reused");
    NetworkPool.giveBack("run-a", small, a);
    // A new run drops the networks of others.
    NetworkPool.borrow("run-b", small);
    assertNotSame(a, NetworkPool.borrow("run-a", small));
    NetworkPool.forget("run-a");
    NetworkPool.forget("run-b");
  }
}
