package dev.activationmonkey.analytics.maximize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.analytics.cli.AnalyticsCli;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import picocli.CommandLine;

/** Activation maximization on real DL4J models saved with ModelSerializer, against real MNIST digits. */
class MaximizeCommandIT {
  @TempDir
  static Path dir;
  static Path mlp;
  static Path cnn;
  static final Path MNIST = Path.of(System.getProperty("monkey.project.root", ".."))
      .resolve("trainer/src/main/resources/dev/activationmonkey/trainer/data/mnist/t10k-images-idx3-ubyte.gz");

  @BeforeAll
  static void models() throws Exception {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(7).weightInit(WeightInit.XAVIER).list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(16).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(10)
            .activation(Activation.SOFTMAX).build())
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    mlp = dir.resolve("mlp.zip");
    ModelSerializer.writeModel(net, mlp.toFile(), false);

    MultiLayerConfiguration convConf = new NeuralNetConfiguration.Builder().seed(7).weightInit(WeightInit.XAVIER).list()
        .layer(new ConvolutionLayer.Builder(5, 5).nOut(4).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutionalFlat(28, 28, 1))
        .build();
    MultiLayerNetwork conv = new MultiLayerNetwork(convConf);
    conv.init();
    cnn = dir.resolve("cnn.zip");
    ModelSerializer.writeModel(conv, cnn.toFile(), false);
  }

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = AnalyticsCli.commandLine(new dev.activationmonkey.analytics.cli.MaximizeCommand());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return new Run(cl.execute(args), out.toString(), err.toString());
  }

  @Test
  void hiddenNeuronExceedsTheBestMnistExample() throws Exception {
    assertTrue(Files.exists(MNIST), MNIST.toString());
    Path png = dir.resolve("n3.png");
    Run r = run("--model", mlp.toString(), "--layer", "0", "--neuron", "3", "--out", png.toString(),
        "--steps", "60", "--examples", MNIST.toString(), "--examples-limit", "2000");
    assertEquals(0, r.code(), r.err());
    BufferedImage image = ImageIO.read(png.toFile());
    // the 28x28 maximized input drawn 280x280, beside the 5 examples that excite the neuron most, each with a label
    assertEquals(8 + 6 * (280 + 8), image.getWidth());
    assertEquals(8 + 16 + 280 + 8, image.getHeight());
    assertTrue(r.out().contains("(28x28 input, drawn 280x280, beside the 5 real examples"), r.out());
    Matcher reached = Pattern.compile("activation (-?[0-9.]+) reached").matcher(r.out());
    Matcher best = Pattern.compile("best of 2000 examples: #([0-9]+) with activation (-?[0-9.]+)").matcher(r.out());
    assertTrue(reached.find() && best.find(), r.out());
    double a = Double.parseDouble(reached.group(1));
    double b = Double.parseDouble(best.group(2));
    assertTrue(a > b && b > 0, r.out());
  }

  @Test
  void outputLogitAndConvolutionChannel() throws Exception {
    Run logit = run("--model", mlp.toString(), "--layer", "1", "--neuron", "7", "--out",
        dir.resolve("class7.png").toString(), "--steps", "40");
    assertEquals(0, logit.code(), logit.err());
    Matcher m = Pattern.compile("activation (-?[0-9.]+) reached after 40 steps \\(start (-?[0-9.]+)\\)").matcher(logit.out());
    assertTrue(m.find(), logit.out());
    assertTrue(Double.parseDouble(m.group(1)) > Double.parseDouble(m.group(2)), logit.out());

    Run conv = run("--model", cnn.toString(), "--layer", "0", "--neuron", "2", "--out",
        dir.resolve("channel2.png").toString(), "--steps", "30");
    assertEquals(0, conv.code(), conv.err());
    assertEquals(28, ImageIO.read(dir.resolve("channel2.png").toFile()).getWidth() / 10, "scaled to 280 px by default");
  }

  @Test
  void scaleAndAGridOfTheLayersNeurons() throws Exception {
    Path one = dir.resolve("one.png");
    assertEquals(0, run("--model", mlp.toString(), "--layer", "0", "--neuron", "1", "--out", one.toString(),
        "--steps", "5", "--scale", "1").code());
    assertEquals(28, ImageIO.read(one.toFile()).getWidth(), "--scale 1: the input's own size");

    Path grid = dir.resolve("grid.png");
    Run r = run("--model", mlp.toString(), "--layer", "0", "--grid", "--out", grid.toString(), "--steps", "10");
    assertEquals(0, r.code(), r.err());
    BufferedImage image = ImageIO.read(grid.toFile());
    assertEquals(8 + 4 * (112 + 8), image.getWidth(), "16 units in 4 columns of 112 px tiles");
    assertEquals(8 + 4 * (16 + 112 + 8), image.getHeight());
    assertTrue(r.out().contains("16 units maximised"), r.out());
    // two tiles differ: each neuron got its own picture
    assertTrue(image.getRGB(8 + 56, 8 + 16 + 56) != image.getRGB(8 + 120 + 56, 8 + 16 + 56)
        || image.getRGB(8 + 30, 8 + 16 + 30) != image.getRGB(8 + 120 + 30, 8 + 16 + 30), "tiles differ");

    Run both = run("--model", mlp.toString(), "--layer", "0", "--grid", "--neuron", "1", "--out", grid.toString());
    assertEquals(2, both.code());
    assertTrue(both.err().contains("leave out --neuron"), both.err());
    Run neither = run("--model", mlp.toString(), "--layer", "0", "--out", grid.toString());
    assertEquals(2, neither.code());
    assertTrue(neither.err().contains("--grid"), neither.err());
  }

  @Test
  void badInputIsExitTwoAndWritesNothing() throws Exception {
    Path out = dir.resolve("never.png");
    Run missing = run("--model", dir.resolve("none.zip").toString(), "--layer", "0", "--neuron", "0", "--out", out.toString());
    assertEquals(2, missing.code());
    assertTrue(missing.err().contains("none.zip"), missing.err());
    Run layer = run("--model", mlp.toString(), "--layer", "5", "--neuron", "0", "--out", out.toString());
    assertEquals(2, layer.code());
    assertTrue(layer.err().contains("layers 0-1"), layer.err());
    Run neuron = run("--model", mlp.toString(), "--layer", "0", "--neuron", "16", "--out", out.toString());
    assertEquals(2, neuron.code());
    assertTrue(neuron.err().contains("units 0-15"), neuron.err());
    Path junk = dir.resolve("junk.zip");
    Files.writeString(junk, "not a model");
    Run notModel = run("--model", junk.toString(), "--layer", "0", "--neuron", "0", "--out", out.toString());
    assertEquals(2, notModel.code());
    assertTrue(Files.notExists(out));
  }
}
