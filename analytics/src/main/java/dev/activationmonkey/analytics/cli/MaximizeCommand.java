package dev.activationmonkey.analytics.cli;

import dev.activationmonkey.analytics.maximize.ActivationMaximizer;
import dev.activationmonkey.analytics.maximize.IdxImages;
import dev.activationmonkey.analytics.maximize.NeuronPictures;
import dev.activationmonkey.analytics.maximize.NeuronResponses;
import dev.activationmonkey.errors.InvalidInputException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "maximize", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Activation maximization: gradient ascent on the input of a trained model (a ModelSerializer zip, as the",
        "trainer writes) for the input that excites one neuron most. Regularised by an L2 penalty, random jitter",
        "and a periodic Gaussian blur; the output layer's neurons are maximised on their logit (pre-softmax).",
        "For MNIST-shaped inputs (784) the picture is 28x28 input pixels, drawn scaled (--scale; 280x280 by default).",
        "With --examples, the real examples that excite the neuron most are drawn beside it (--top) and the best one's",
        "activation is printed. --grid draws every neuron of the layer (up to --grid-max) as one picture."})
public final class MaximizeCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "MODEL.zip", description = "A MultiLayerNetwork or ComputationGraph zip.")
  Path model;

  @Option(names = "--layer", required = true, paramLabel = "L",
      description = "Layer index as the activation log numbers layers (0 = first layer; a graph's vertices in "
          + "topological order), or its name (a graph vertex's name: merge and element-wise vertices too).")
  String layerName;

  @Option(names = "--neuron", paramLabel = "N",
      description = "Unit index in the layer (channel for convolutions); required unless --grid.")
  Integer neuron;

  @Option(names = "--grid", description = "Maximise every unit of the layer (up to --grid-max) and draw them as a grid.")
  boolean grid;

  @Option(names = "--grid-max", defaultValue = "64", paramLabel = "N",
      description = "With --grid, the first N units (default ${DEFAULT-VALUE}).")
  int gridMax;

  @Option(names = "--scale", paramLabel = "K",
      description = "Draw each input pixel as KxK pixels (default: the smallest K that makes a picture at least "
          + NeuronPictures.MIN_SIDE + " px, a grid's tiles " + NeuronPictures.MIN_TILE_SIDE + " px).")
  Integer scale;

  @Option(names = "--top", defaultValue = "5", paramLabel = "K",
      description = "With --examples, draw the K real examples that excite the neuron most beside it (default ${DEFAULT-VALUE}; 0 = none).")
  int top;

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
    if (grid == (neuron != null)) {
      throw new InvalidInputException(grid ? "--grid draws every unit of the layer: leave out --neuron"
          : "--neuron N is required (or --grid for every unit of the layer)");
    }
    if (scale != null && (scale < 1 || scale > 64)) {
      throw new InvalidInputException("--scale must be from 1 to 64, got " + scale);
    }
    if (top < 0 || top > 64 || gridMax < 1) {
      throw new InvalidInputException("--top takes 0 to 64 and --grid-max at least 1");
    }
    if (inputRange.length != 2) {
      throw new InvalidInputException("--input-range takes MIN,MAX");
    }
    if (inputShape != null && inputShape.length != 3) {
      throw new InvalidInputException("--input-shape takes CHANNELS,HEIGHT,WIDTH");
    }
    ActivationMaximizer maximizer = new ActivationMaximizer(NeuronResponses.loadModel(model), inputShape);
    int layer = maximizer.layer(layerName);
    ActivationMaximizer.Settings settings = new ActivationMaximizer.Settings(steps, learningRate, l2,
        jitter != null ? jitter : maximizer.convolutional() ? 1 : 0, blur, blurEvery, inputRange[0], inputRange[1], seed);
    PrintWriter w = spec.commandLine().getOut();
    int[] shape = maximizer.imageShape();
    if (grid) {
      NeuronResponses.Grid g = NeuronResponses.grid(maximizer, layer, gridMax, settings, scale);
      write(g.image(), out);
      w.printf(Locale.ROOT, "layer %d (%s): %d units maximised after %d steps each; wrote %s (%dx%d, each input pixel %dx%d)%n",
          layer, maximizer.name(layer), g.units(), steps, out.toAbsolutePath(), g.image().getWidth(), g.image().getHeight(), g.scale(),
          g.scale());
      w.flush();
      return 0;
    }
    IdxImages.Images images = examples == null ? null : IdxImages.read(examples, examplesLimit);
    if (images != null && images.rows() * images.columns() != maximizer.inputSize()) {
      throw new InvalidInputException("Examples in " + examples + " are " + images.rows() + "x" + images.columns()
          + ", the model takes " + maximizer.inputSize() + " inputs");
    }
    NeuronResponses.Strip strip = NeuronResponses.strip(maximizer, layer, neuron, settings, images, top, scale);
    write(strip.image(), out);
    ActivationMaximizer.Result result = strip.result();
    w.printf(Locale.ROOT, "layer %d (%s) neuron %d: activation %.4f reached after %d steps (start %.4f); wrote %s (%dx%d"
        + " input, drawn %dx%d%s)%n", layer, maximizer.name(layer), neuron, result.activation(), steps, result.startActivation(),
        out.toAbsolutePath(), shape[2], shape[1], strip.maximized().getWidth(), strip.maximized().getHeight(),
        strip.examplesShown() == 0 ? "" : ", beside the " + strip.examplesShown() + " real examples that excite it most");
    if (images != null) {
      w.printf(Locale.ROOT, "best of %d examples: #%d with activation %.4f; maximized input reaches %.2fx that%n",
          strip.examplesRead(), strip.bestExample(), strip.bestActivation(), result.activation() / strip.bestActivation());
    }
    w.flush();
    return 0;
  }

  private static void write(BufferedImage image, Path file) {
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
