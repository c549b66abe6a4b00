package dev.activationmonkey.analytics.cli;

import dev.activationmonkey.analytics.maximize.ActivationMaximizer;
import dev.activationmonkey.analytics.maximize.IdxImages;
import dev.activationmonkey.errors.InvalidInputException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "maximize", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Activation maximization: gradient ascent on the input of a trained model (a ModelSerializer zip, as the",
        "trainer writes) for the input that excites one neuron most. Regularised by an L2 penalty, random jitter",
        "and a periodic Gaussian blur; the output layer's neurons are maximised on their logit (pre-softmax).",
        "For MNIST-shaped inputs (784) the picture is 28x28. With --examples, also prints the best example's activation."})
public final class MaximizeCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "MODEL.zip", description = "A MultiLayerNetwork zip.")
  Path model;

  @Option(names = "--layer", required = true, paramLabel = "L", description = "Layer index (0 = first layer).")
  int layer;

  @Option(names = "--neuron", required = true, paramLabel = "N", description = "Unit index in the layer (channel for convolutions).")
  int neuron;

  @Option(names = "--out", required = true, paramLabel = "FILE.png", description = "Where to write the picture.")
  Path out;

  @Option(names = "--steps", defaultValue = "200", description = "Gradient ascent steps (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--learning-rate", defaultValue = "0.05",
      description = "Step size, as a share of the input range per unit of mean |gradient| (default ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(names = "--l2", defaultValue = "0.01", description = "L2 penalty on the distance from mid-range (default ${DEFAULT-VALUE}).")
  double l2;

  @Option(names = "--jitter", paramLabel = "PIXELS",
      description = "Random shift in pixels before each step (default: 1 for convolutional models, 0 for dense ones).")
  Integer jitter;

  @Option(names = "--blur", defaultValue = "0.5", description = "Gaussian blur sigma in pixels (default ${DEFAULT-VALUE}; 0 = off).")
  double blur;

  @Option(names = "--blur-every", defaultValue = "4", description = "Blur every N steps (default ${DEFAULT-VALUE}).")
  int blurEvery;

  @Option(names = "--input-range", defaultValue = "0,1", split = ",", paramLabel = "MIN,MAX",
      description = "Input value range (default ${DEFAULT-VALUE}: the trainer's scale normalisation).")
  double[] inputRange;

  @Option(names = "--input-shape", split = ",", paramLabel = "C,H,W",
      description = "Input shape; inferred for flat square inputs (784 -> 1,28,28).")
  int[] inputShape;

  @Option(names = "--examples", paramLabel = "IDX.gz",
      description = "IDX image file (e.g. MNIST t10k-images-idx3-ubyte.gz) to find the best real example.")
  Path examples;

  @Option(names = "--examples-limit", defaultValue = "10000", description = "Read at most N examples (default ${DEFAULT-VALUE}).")
  int examplesLimit;

  @Option(names = "--seed", defaultValue = "42", description = "Random seed (start point, jitter).")
  long seed;

  @Override
  public Integer call() {
    if (inputRange.length != 2) {
      throw new InvalidInputException("--input-range takes MIN,MAX");
    }
    if (inputShape != null && inputShape.length != 3) {
      throw new InvalidInputException("--input-shape takes CHANNELS,HEIGHT,WIDTH");
    }
    MultiLayerNetwork net = load(model);
    ActivationMaximizer maximizer = new ActivationMaximizer(net, inputShape);
    ActivationMaximizer.Settings settings = new ActivationMaximizer.Settings(steps, learningRate, l2,
        jitter != null ? jitter : maximizer.convolutional() ? 1 : 0, blur, blurEvery, inputRange[0], inputRange[1], seed);
    ActivationMaximizer.Result result = maximizer.maximize(layer, neuron, settings);
    writeImage(result.input(), maximizer.imageShape(), inputRange[0], inputRange[1], out);
    PrintWriter w = spec.commandLine().getOut();
    int[] shape = maximizer.imageShape();
    w.printf(Locale.ROOT, "layer %d neuron %d: activation %.4f reached after %d steps (start %.4f); wrote %s (%dx%d)%n",
        layer, neuron, result.activation(), steps, result.startActivation(), out.toAbsolutePath(), shape[2], shape[1]);
    if (examples != null) {
      IdxImages.Images images = IdxImages.read(examples, examplesLimit);
      if (images.rows() * images.columns() != maximizer.inputSize()) {
        throw new InvalidInputException("Examples in " + examples + " are " + images.rows() + "x" + images.columns()
            + ", the model takes " + maximizer.inputSize() + " inputs");
      }
      double best = Double.NEGATIVE_INFINITY;
      int bestIndex = -1;
      int batch = 500;
      for (int from = 0; from < images.pixels().length; from += batch) {
        float[][] slice = Arrays.copyOfRange(images.pixels(), from, Math.min(images.pixels().length, from + batch));
        double[] a = maximizer.activations(slice, layer, neuron);
        for (int i = 0; i < a.length; i++) {
          if (a[i] > best) {
            best = a[i];
            bestIndex = from + i;
          }
        }
      }
      w.printf(Locale.ROOT, "best of %d examples: #%d with activation %.4f; maximized input reaches %.2fx that%n",
          images.pixels().length, bestIndex, best, result.activation() / best);
    }
    w.flush();
    return 0;
  }

  static MultiLayerNetwork load(Path model) {
    if (!Files.isRegularFile(model)) {
      throw new InvalidInputException("Model file " + model + " does not exist");
    }
    try {
      return ModelSerializer.restoreMultiLayerNetwork(model.toFile(), false);
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException("Cannot load " + model + " as a DL4J MultiLayerNetwork (a ModelSerializer zip): "
          + e.getMessage(), e);
    }
  }

  /** Greyscale, input range mapped to black..white; one image per channel stacked vertically. */
  static void writeImage(double[] x, int[] shape, double min, double max, Path file) {
    int c = shape[0];
    int h = shape[1];
    int wd = shape[2];
    BufferedImage image = new BufferedImage(wd, h * c, BufferedImage.TYPE_BYTE_GRAY);
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < h; y++) {
        for (int xx = 0; xx < wd; xx++) {
          double v = (x[(ch * h + y) * wd + xx] - min) / (max - min);
          int g = (int) Math.round(Math.max(0, Math.min(1, v)) * 255);
          image.getRaster().setSample(xx, ch * h + y, 0, g);
        }
      }
    }
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      ImageIO.write(image, "png", file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file, e);
    }
  }
}
