package dev.activationmonkey.analytics.maximize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.analytics.cli.AnalyticsCli;
import dev.activationmonkey.analytics.cli.MaximizeCommand;
import dev.activationmonkey.errors.InvalidInputException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import picocli.CommandLine;

/**
 * Activation maximization through a ComputationGraph with a skip connection: the gradient that the vertex-by-vertex
 * backward pass computes (summing where the skip and the main path join) against central finite differences of the
 * same model's forward pass, for a dense layer, an element-wise vertex, a merge vertex and the output's logit.
 */
class GraphMaximizationTest {
  @TempDir
  static Path dir;
  static ComputationGraph graph;
  static Path zip;

  @BeforeAll
  static void model() throws Exception {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(11).dataType(DataType.DOUBLE)
        .weightInit(WeightInit.XAVIER).graphBuilder()
        .addInputs("pixels")
        .addLayer("hidden", new DenseLayer.Builder().nOut(12).activation(Activation.TANH).build(), "pixels")
        .addLayer("block", new DenseLayer.Builder().nOut(12).activation(Activation.SIGMOID).build(), "hidden")
        .addVertex("skip", new ElementWiseVertex(ElementWiseVertex.Op.Add), "hidden", "block")
        .addVertex("concat", new MergeVertex(), "hidden", "skip")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10)
            .activation(Activation.SOFTMAX).build(), "concat")
        .setOutputs("out")
        .setInputTypes(InputType.feedForward(36))
        .build();
    graph = new ComputationGraph(conf);
    graph.init();
    zip = dir.resolve("graph.zip");
    ModelSerializer.writeModel(graph, zip.toFile(), false);
  }

  @Test
  void gradientsThroughSkipAndMergeVerticesMatchFiniteDifferences() {
    ActivationMaximizer maximizer = new ActivationMaximizer(graph, null);
    assertEquals(36, maximizer.inputSize());
    assertEquals("1,6,6", maximizer.imageShape()[0] + "," + maximizer.imageShape()[1] + "," + maximizer.imageShape()[2]);
    Random random = new Random(3);
    double[] x = new double[36];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextDouble();
    }
    String[][] targets = {{"block", "5"}, {"skip", "2"}, {"concat", "17"}, {"out", "4"}};
    for (String[] target : targets) {
      int layer = maximizer.layer(target[0]);
      int unit = Integer.parseInt(target[1]);
      double[] analytic = maximizer.gradient(x, layer, unit);
      double h = 1e-4;
      double worst = 0;
      double scale = 0;
      for (int i = 0; i < x.length; i++) {
        float[][] plusMinus = new float[2][];
        plusMinus[0] = toFloat(x);
        plusMinus[1] = toFloat(x);
        plusMinus[0][i] += (float) h;
        plusMinus[1][i] -= (float) h;
        double[] a = maximizer.activations(plusMinus, layer, unit);
        double numeric = (a[0] - a[1]) / (plusMinus[0][i] - plusMinus[1][i]);
        worst = Math.max(worst, Math.abs(numeric - analytic[i]));
        scale = Math.max(scale, Math.abs(numeric));
      }
      assertTrue(scale > 1e-3, target[0] + ": the unit depends on the input");
      assertTrue(worst < 1e-3 * scale + 1e-6, target[0] + " unit " + unit + ": analytic and numeric gradients differ by "
          + worst + " (largest component " + scale + ")");
    }
  }

  private static float[] toFloat(double[] x) {
    float[] f = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      f[i] = (float) x[i];
    }
    return f;
  }

  @Test
  void verticesAreNumberedAndNamedAsTheLogHasThem() {
    ActivationMaximizer maximizer = new ActivationMaximizer(graph, null);
    assertEquals(0, maximizer.layer("hidden"));
    assertEquals("skip", maximizer.name(maximizer.layer("2")));
    assertEquals(12, maximizer.units(maximizer.layer("skip")), "an element-wise vertex has its inputs' units");
    assertEquals(24, maximizer.units(maximizer.layer("concat")), "a merge vertex has both inputs' units");
    assertEquals(10, maximizer.units(maximizer.layer("out")));
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> maximizer.layer("dense_9"));
    assertTrue(e.getMessage().contains("3=concat"), e.getMessage());
  }

  @Test
  void theCommandMaximisesAMergeVertexOfASavedGraph() throws Exception {
    Path png = dir.resolve("concat.png");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = AnalyticsCli.commandLine(new MaximizeCommand());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute("--model", zip.toString(), "--layer", "concat", "--neuron", "20", "--steps", "40",
        "--out", png.toString());
    assertEquals(0, code, err.toString());
    assertTrue(Files.size(png) > 0);
    java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("layer 3 \\(concat\\) neuron 20: activation (-?[0-9.]+) reached after 40 steps \\(start (-?[0-9.]+)\\)")
        .matcher(out.toString());
    assertTrue(m.find(), out.toString());
    assertTrue(Double.parseDouble(m.group(1)) > Double.parseDouble(m.group(2)), "the ascent raised the activation: " + out);

    StringWriter err2 = new StringWriter();
    CommandLine bad = AnalyticsCli.commandLine(new MaximizeCommand());
    bad.setErr(new PrintWriter(err2, true));
    assertEquals(2, bad.execute("--model", zip.toString(), "--layer", "nope", "--neuron", "0", "--out",
        dir.resolve("x.png").toString()));
    assertTrue(err2.toString().contains("names no layer") && err2.toString().contains("0=hidden"), err2.toString());
    assertTrue(!Files.exists(dir.resolve("x.png")));
  }

  @Test
  void aRecurrentModelIsRefusedWithAMessageEvenWithAnInputShape() {
    org.deeplearning4j.nn.multilayer.MultiLayerNetwork lstm = new org.deeplearning4j.nn.multilayer.MultiLayerNetwork(
        new NeuralNetConfiguration.Builder().seed(3).list()
            .layer(new org.deeplearning4j.nn.conf.layers.LSTM.Builder().nIn(4).nOut(5).build())
            .layer(new org.deeplearning4j.nn.conf.layers.RnnOutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nIn(5).nOut(2).activation(Activation.SOFTMAX).build())
            .build());
    lstm.init();
    for (int[] shape : new int[][] {null, {1, 2, 2}}) {
      InvalidInputException e = assertThrows(InvalidInputException.class, () -> new ActivationMaximizer(lstm, shape));
      assertTrue(e.getMessage().contains("recurrent layer"), e.getMessage());
    }
  }
}
