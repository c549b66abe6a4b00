package dev.activationmonkey.trainer.network;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.trainer.spec.JobSpec;
import dev.activationmonkey.trainer.spec.NetworkSpec;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every architecture {@code network.zoo} offers builds untrained for MNIST-shaped data (or, where it needs larger
 * images, at the smallest side {@link NetworkSpec#ZOO_MIN_SIDE} names and not one pixel below) and maps a batch of
 * images to one probability per class.
 */
class ZooArchitecturesTest {
  static Iterable<String> architectures() {
    return NetworkSpec.ZOO;
  }

  private static NetworkSpec spec(String zoo, int side) {
    return JobSpec.parse("network: {zoo: %s, input: {type: image, height: %d, width: %d, channels: 1}}\n"
        .formatted(zoo, side, side), "zoo.yaml").network();
  }

  @ParameterizedTest
  @MethodSource("architectures")
  void buildsForTheDataShapeAndClasses(String zoo) {
    int side = Math.max(28, NetworkSpec.ZOO_MIN_SIDE.getOrDefault(zoo, 0));
    Model model = NetworkFactory.zoo(spec(zoo, side), 7, side * side, 5);
    INDArray images = Nd4j.rand(DataType.FLOAT, 2, 1, side, side);
    INDArray out = model instanceof ComputationGraph g ? g.outputSingle(images) : ((MultiLayerNetwork) model).output(images);
    assertArrayEquals(new long[] {2, 5}, out.shape(), zoo + " at " + side + " x " + side);
    assertTrue(out.sum(1).getDouble(0) > 0.99 && out.sum(1).getDouble(0) < 1.01, zoo + ": class probabilities");
    System.out.printf("zoo %s at %d x %d: %s, %,d parameters%n", zoo, side, side, model.getClass().getSimpleName(),
        model.numParams());
    Integer min = NetworkSpec.ZOO_MIN_SIDE.get(zoo);
    if (min != null) {
      // One pixel below the documented minimum, DL4J cannot size the architecture (the job spec refuses it before).
      NetworkSpec below = new NetworkSpec(null, null, zoo, "image", min - 1, min - 1, 1, "xavier", 0, 0, 0,
          spec(zoo, side).updater(), "none", 1.0, java.util.List.of());
      assertThrows(InvalidInputException.class, () -> NetworkFactory.zoo(below, 7, (min - 1) * (min - 1), 5), zoo);
    }
  }
}
