package dev.activationmonkey.analytics.maximize;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.errors.InvalidInputException;
import java.util.Random;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Activation maximization: gradient ascent on the input of a {@link MultiLayerNetwork} to find an input
 * that excites one unit as much as possible.
 *
 * <p>The objective is {@code a(x) - l2 * ||x - mid||^2}, where a(x) is the unit's activation (a dense
 * neuron's output; a convolution channel's mean over positions; for the output layer the class's logit, its
 * pre-softmax value, because softmax probabilities can be raised by lowering the other classes). Each step
 * starts from the best of {@value #STARTS} random inputs, takes the gradient through the layers' own backprop, normalises it by its mean absolute value, and
 * clips x to the input range. Regularisation against adversarial noise: the L2 penalty, random jitter
 * (the input is shifted by up to {@code jitter} pixels before each step and shifted back after), and a
 * Gaussian blur every {@code blurEvery} steps. Jitter suits convolutional models (see {@link #convolutional()}).
 */
public final class ActivationMaximizer {
  /** Settings with their documented defaults in {@link #defaults()}. */
  public record Settings(int steps, double learningRate, double l2, int jitter, double blurSigma, int blurEvery,
      double inputMin, double inputMax, long seed) {
    public Settings {
      if (steps < 1) {
        throw new InvalidInputException("--steps must be at least 1, got " + steps);
      }
      if (!(learningRate > 0)) {
        throw new InvalidInputException("--learning-rate must be positive, got " + learningRate);
      }
      if (l2 < 0 || jitter < 0 || blurSigma < 0 || blurEvery < 1) {
        throw new InvalidInputException("--l2, --jitter and --blur must not be negative, --blur-every at least 1");
      }
      if (!(inputMax > inputMin)) {
        throw new InvalidInputException("--input-range max must be above min");
      }
    }

    public static Settings defaults() {
      return new Settings(200, 0.05, 0.01, 1, 0.5, 4, 0.0, 1.0, 42);
    }
  }

  /** Where the ascent ended: the input (channels × height × width, row-major) and the unit's activation there. */
  public record Result(double[] input, double activation, double startActivation) {}

  /** Random start points tried; the ascent starts from the one that excites the unit most. */
  static final int STARTS = 16;

  private final MultiLayerNetwork net;
  private final int channels;
  private final int height;
  private final int width;
  private final boolean flatInput;
  private final LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();

  /**
   * @param imageShape {channels, height, width} of the input, or null to infer it (flat inputs whose size
   *     is a square, e.g. 784 = 28×28; a feed-forward-to-CNN preprocessor's shape)
   */
  public ActivationMaximizer(MultiLayerNetwork net, int[] imageShape) {
    this.net = requireNonNull(net, "net is null");
    org.deeplearning4j.nn.conf.layers.Layer first = net.getLayerWiseConfigurations().getConf(0).getLayer();
    InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(0);
    int[] shape = imageShape;
    if (first instanceof ConvolutionLayer conv && pre == null) {
      flatInput = false;
      if (shape == null) {
        throw new InvalidInputException("The model's first layer is a convolution on image input; pass "
            + "--input-shape CHANNELS,HEIGHT,WIDTH (e.g. 1,28,28)");
      }
      if (shape[0] != conv.getNIn()) {
        throw new InvalidInputException("--input-shape has " + shape[0] + " channels, the model expects " + conv.getNIn());
      }
    } else {
      flatInput = true;
      long n;
      if (pre instanceof FeedForwardToCnnPreProcessor ff) {
        n = ff.getInputHeight() * ff.getInputWidth() * ff.getNumChannels();
        if (shape == null) {
          shape = new int[] {(int) ff.getNumChannels(), (int) ff.getInputHeight(), (int) ff.getInputWidth()};
        }
      } else if (first instanceof FeedForwardLayer ff) {
        n = ff.getNIn();
      } else {
        throw new InvalidInputException("Cannot tell the input size of a model whose first layer is "
            + first.getClass().getSimpleName() + "; pass --input-shape");
      }
      if (shape == null) {
        int side = (int) Math.round(Math.sqrt(n));
        shape = side * side == n ? new int[] {1, side, side} : new int[] {1, 1, (int) n};
      }
      if ((long) shape[0] * shape[1] * shape[2] != n) {
        throw new InvalidInputException("--input-shape " + shape[0] + "," + shape[1] + "," + shape[2]
            + " does not match the model's " + n + " inputs");
      }
    }
    channels = shape[0];
    height = shape[1];
    width = shape[2];
    net.initGradientsView(); // a restored network has no gradient buffers until it is trained
    for (int i = 0; i < net.getnLayers(); i++) {
      net.getLayer(i).conf().getLayer().setIDropout(null); // deterministic forward and backward passes
    }
  }

  /**
   * Whether the model takes image-shaped input into convolutions, where a shifted input is still a
   * meaningful input: jitter helps there. A dense layer sees a shifted image as a different input (its relu
   * may switch off and the gradient vanish), so jitter defaults to 0 for dense models.
   */
  public boolean convolutional() {
    return !flatInput || net.getLayerWiseConfigurations().getInputPreProcess(0) instanceof FeedForwardToCnnPreProcessor;
  }

  public int inputSize() {
    return channels * height * width;
  }

  public int[] imageShape() {
    return new int[] {channels, height, width};
  }

  /** Checks the layer and unit exist; the message names the valid range. */
  public int units(int layer) {
    if (layer < 0 || layer >= net.getnLayers()) {
      throw new InvalidInputException("--layer " + layer + " does not exist: the model has layers 0-"
          + (net.getnLayers() - 1));
    }
    org.deeplearning4j.nn.conf.layers.Layer conf = net.getLayer(layer).conf().getLayer();
    if (conf instanceof FeedForwardLayer ff) {
      return (int) ff.getNOut();
    }
    throw new InvalidInputException("Layer " + layer + " (" + conf.getClass().getSimpleName()
        + ") has no units of its own to maximise; choose a dense, convolution or output layer");
  }

  /** The unit's activation for each row of {@code inputs} (one flattened input per row). */
  public double[] activations(float[][] inputs, int layer, int unit) {
    INDArray x = shaped(Nd4j.create(inputs).castTo(DataType.FLOAT));
    INDArray a = unitActivation(forward(x, layer), layer, unit);
    return a.toDoubleVector();
  }

  public Result maximize(int layer, int unit, Settings s) {
    int units = units(layer);
    if (unit < 0 || unit >= units) {
      throw new InvalidInputException("--neuron " + unit + " does not exist: layer " + layer + " has units 0-"
          + (units - 1));
    }
    Random random = new Random(s.seed());
    double mid = (s.inputMin() + s.inputMax()) / 2;
    // Start from the best of a few random inputs: a unit behind a relu that is off at the start point has a
    // zero gradient and would never move.
    float[][] starts = new float[STARTS][inputSize()];
    for (float[] candidate : starts) {
      for (int i = 0; i < candidate.length; i++) {
        candidate[i] = (float) (s.inputMin() + random.nextDouble() * (s.inputMax() - s.inputMin()));
      }
    }
    double[] startValues = activations(starts, layer, unit);
    int best = 0;
    for (int i = 1; i < startValues.length; i++) {
      if (startValues[i] > startValues[best]) {
        best = i;
      }
    }
    double[] x = new double[inputSize()];
    for (int i = 0; i < x.length; i++) {
      x[i] = starts[best][i];
    }
    double start = startValues[best];
    for (int step = 0; step < s.steps(); step++) {
      int dy = s.jitter() == 0 ? 0 : random.nextInt(2 * s.jitter() + 1) - s.jitter();
      int dx = s.jitter() == 0 ? 0 : random.nextInt(2 * s.jitter() + 1) - s.jitter();
      double[] shifted = roll(x, dy, dx);
      double[] g = roll(gradient(shifted, layer, unit), -dy, -dx);
      double meanAbs = 0;
      for (int i = 0; i < g.length; i++) {
        g[i] -= 2 * s.l2() * (x[i] - mid);
        meanAbs += Math.abs(g[i]);
      }
      meanAbs = meanAbs / g.length + 1e-12;
      double range = s.inputMax() - s.inputMin();
      for (int i = 0; i < x.length; i++) {
        x[i] += s.learningRate() * range * g[i] / meanAbs;
      }
      if (s.blurSigma() > 0 && (step + 1) % s.blurEvery() == 0 && step + 1 < s.steps()) {
        x = blur(x, s.blurSigma());
      }
      for (int i = 0; i < x.length; i++) {
        x[i] = Math.max(s.inputMin(), Math.min(s.inputMax(), x[i]));
      }
    }
    return new Result(x, value(x, layer, unit), start);
  }

  private double value(double[] x, int layer, int unit) {
    float[][] row = new float[1][x.length];
    for (int i = 0; i < x.length; i++) {
      row[0][i] = (float) x[i];
    }
    return activations(row, layer, unit)[0];
  }

  private INDArray shaped(INDArray flat) {
    return flatInput ? flat : flat.reshape('c', flat.size(0), channels, height, width);
  }

  /** Runs layers 0..layer; for an output layer the last step stops at its input (the logit is computed apart). */
  private INDArray forward(INDArray x, int layer) {
    INDArray a = x;
    for (int i = 0; i <= layer; i++) {
      InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(i);
      if (pre != null) {
        a = pre.preProcess(a, (int) a.size(0), mgr);
      }
      Layer l = net.getLayer(i);
      if (i == layer && l instanceof IOutputLayer) {
        return a; // the logit: see unitActivation
      }
      a = l.activate(a, false, mgr);
    }
    return a;
  }

  private INDArray unitActivation(INDArray out, int layer, int unit) {
    Layer l = net.getLayer(layer);
    if (l instanceof IOutputLayer) {
      INDArray w = l.getParam("W");
      INDArray b = l.getParam("b");
      return out.castTo(w.dataType()).mmul(w.getColumn(unit)).reshape(out.size(0)).add(b.getDouble(unit));
    }
    if (out.rank() == 2) {
      return out.getColumn(unit).dup();
    }
    if (out.rank() == 4) {
      return out.get(NDArrayIndex.all(), NDArrayIndex.point(unit), NDArrayIndex.all(), NDArrayIndex.all())
          .reshape(out.size(0), out.size(2) * out.size(3)).mean(1);
    }
    throw new InvalidInputException("Layer " + layer + " has rank-" + out.rank() + " output; only dense (rank 2) "
        + "and convolution (rank 4) layers are supported");
  }

  /** d a(x) / d x through every layer's own backprop. */
  private double[] gradient(double[] x, int layer, int unit) {
    float[][] row = new float[1][x.length];
    for (int i = 0; i < x.length; i++) {
      row[0][i] = (float) x[i];
    }
    INDArray input = shaped(Nd4j.create(row).castTo(DataType.FLOAT));
    INDArray out = forward(input, layer);
    INDArray eps;
    int from = layer;
    Layer l = net.getLayer(layer);
    if (l instanceof IOutputLayer) {
      INDArray w = l.getParam("W");
      eps = w.getColumn(unit).reshape(1, w.size(0)).castTo(out.dataType()).dup();
      from = layer - 1;
      InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(layer);
      if (pre != null) {
        eps = pre.backprop(eps, 1, mgr);
      }
    } else if (out.rank() == 2) {
      eps = Nd4j.zeros(out.dataType(), out.shape());
      eps.putScalar(0, unit, 1.0);
    } else {
      eps = Nd4j.zeros(out.dataType(), out.shape());
      double share = 1.0 / (out.size(2) * out.size(3));
      eps.get(NDArrayIndex.point(0), NDArrayIndex.point(unit), NDArrayIndex.all(), NDArrayIndex.all()).assign(share);
    }
    for (int i = from; i >= 0; i--) {
      Pair<Gradient, INDArray> back = net.getLayer(i).backpropGradient(eps, mgr);
      eps = back.getSecond();
      InputPreProcessor pre = net.getLayerWiseConfigurations().getInputPreProcess(i);
      if (pre != null) {
        eps = pre.backprop(eps, 1, mgr);
      }
    }
    return eps.reshape(1, x.length).toDoubleVector();
  }

  private double[] roll(double[] x, int dy, int dx) {
    if (dy == 0 && dx == 0 || height == 1) {
      return x.clone();
    }
    double[] out = new double[x.length];
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < height; y++) {
        for (int xx = 0; xx < width; xx++) {
          int sy = Math.floorMod(y - dy, height);
          int sx = Math.floorMod(xx - dx, width);
          out[(c * height + y) * width + xx] = x[(c * height + sy) * width + sx];
        }
      }
    }
    return out;
  }

  /** Separable Gaussian blur per channel (edges clamped). */
  double[] blur(double[] x, double sigma) {
    if (height == 1) {
      return x;
    }
    int radius = Math.max(1, (int) Math.ceil(3 * sigma));
    double[] kernel = new double[2 * radius + 1];
    double sum = 0;
    for (int i = -radius; i <= radius; i++) {
      kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
      sum += kernel[i + radius];
    }
    for (int i = 0; i < kernel.length; i++) {
      kernel[i] /= sum;
    }
    double[] tmp = new double[x.length];
    double[] out = new double[x.length];
    for (int c = 0; c < channels; c++) {
      int base = c * height * width;
      for (int y = 0; y < height; y++) {
        for (int xx = 0; xx < width; xx++) {
          double v = 0;
          for (int k = -radius; k <= radius; k++) {
            int sx = Math.max(0, Math.min(width - 1, xx + k));
            v += kernel[k + radius] * x[base + y * width + sx];
          }
          tmp[base + y * width + xx] = v;
        }
      }
      for (int y = 0; y < height; y++) {
        for (int xx = 0; xx < width; xx++) {
          double v = 0;
          for (int k = -radius; k <= radius; k++) {
            int sy = Math.max(0, Math.min(height - 1, y + k));
            v += kernel[k + radius] * tmp[base + sy * width + xx];
          }
          out[base + y * width + xx] = v;
        }
      }
    }
    return out;
  }
}
