package dev.activationmonkey.trainer.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The Java output-layer recomputation equals ND4J's ops (the listener's previous path) for each activation. */
class DenseOutputTest {

  @Test
  void equalsNd4jForEachActivationAndLayout() {
    Nd4j.getRandom().setSeed(7);
    for (String activation : DenseOutput.ACTIVATIONS) {
      for (char order : new char[] {'c', 'f'}) {
        INDArray input = Nd4j.rand(DataType.FLOAT, 32, 20).subi(0.5).muli(4).dup(order);
        input.getRow(3).assign(0); // a row of zeros, as after relu
        INDArray w = Nd4j.randn(DataType.FLOAT, 20, 10).dup(order == 'c' ? 'f' : 'c');
        INDArray b = Nd4j.randn(DataType.FLOAT, 1, 10);
        INDArray expected = Activation.valueOf(activation.toUpperCase(java.util.Locale.ROOT)).getActivationFunction()
            .getActivation(input.mmul(w).addiRowVector(b), false);
        INDArray actual = DenseOutput.compute(input, w, b, activation);
        assertNotNull(actual, activation);
        assertEquals(0, expected.sub(actual).amaxNumber().doubleValue(), 1e-5, activation + " " + order);
      }
    }
  }

  @Test
  void leavesOtherCasesToNd4j() {
    INDArray input = Nd4j.rand(DataType.FLOAT, 4, 3);
    INDArray w = Nd4j.rand(DataType.FLOAT, 3, 2);
    INDArray b = Nd4j.rand(DataType.FLOAT, 1, 2);
    assertNull(DenseOutput.compute(input, w, b, "relu"), "relu may carry a threshold and a cap");
    assertNull(DenseOutput.compute(input.castTo(DataType.DOUBLE), w, b, "softmax"));
    assertNull(DenseOutput.compute(input, Nd4j.rand(DataType.FLOAT, 4, 2), b, "softmax"), "mismatched shapes");
  }
}
