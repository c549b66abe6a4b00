package dev.activationmonkey.trainer.stats;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Copies equal their source (views at an offset, both orders, float and double), reuse and the memory bound. */
class ArrayCopiesTest {

  @Test
  void copiesOfANetworksParameterViewsHoldTheirValuesInTheirShapeAndOrder() {
    ArrayCopies copies = new ArrayCopies(1 << 20);
    // DL4J's parameter views: 'f'-ordered windows into one flat buffer, all but the first at an offset.
    MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(3).list()
        .layer(new DenseLayer.Builder().nIn(6).nOut(8).build())
        .layer(new OutputLayer.Builder().nIn(8).nOut(3).build()).build());
    net.init();
    for (INDArray view : net.paramTable().values()) {
      INDArray copy = copies.copyOf(view);
      assertNotNull(copy);
      assertEquals(view.ordering(), copy.ordering());
      assertArrayEquals(view.shape(), copy.shape());
      assertEquals(view, copy);
      copies.release(copy);
    }
    INDArray w = net.getParam("1_W");
    INDArray before = w.dup();
    INDArray copy = copies.copyOf(w);
    net.params().muli(2); // the copy is detached from its source
    assertEquals(before, copy);
    INDArray doubles = Nd4j.rand(DataType.DOUBLE, 5, 7);
    assertEquals(doubles, copies.copyOf(doubles));
  }

  @Test
  void aReleasedCopyIsReusedAndTheBoundIsKept() {
    INDArray a = Nd4j.rand(DataType.FLOAT, 16, 16); // 1 KiB
    ArrayCopies copies = new ArrayCopies(2048);
    INDArray first = copies.copyOf(a);
    INDArray second = copies.copyOf(a);
    assertNotNull(second);
    assertNull(copies.copyOf(a), "a third KiB passes the 2 KiB bound");
    copies.release(first);
    assertSame(first, copies.copyOf(a), "released copies are reused");
    assertEquals(2048, copies.allocatedBytes());
    copies.release(first);
    copies.release(second);
    // Pooled copies of another shape make room for a new shape.
    INDArray other = copies.copyOf(Nd4j.rand(DataType.FLOAT, 8, 64));
    assertNotNull(other);
    assertEquals(2048, copies.allocatedBytes());
  }

  @Test
  void arraysThatAreNotDenseOrNotFloatingPointAreNotCopied() {
    ArrayCopies copies = new ArrayCopies(1 << 20);
    INDArray strided = Nd4j.rand(DataType.FLOAT, 8, 8).get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 8));
    assertNull(copies.copyOf(strided));
    assertNull(copies.copyOf(Nd4j.zeros(DataType.INT, 4)));
    assertNull(new ArrayCopies(0).copyOf(Nd4j.rand(DataType.FLOAT, 2, 2)), "a bound of 0 turns copying off");
    assertThrows(IllegalArgumentException.class, () -> new ArrayCopies(-1));
  }
}
