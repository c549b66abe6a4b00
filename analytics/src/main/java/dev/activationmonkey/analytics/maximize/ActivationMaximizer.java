package dev.activationmonkey.analytics.maximize;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.errors.InvalidInputException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.api.layers.IOutputLayer;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.layers.BaseRecurrentLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.VertexIndices;
import org.deeplearning4j.nn.graph.vertex.impl.LayerVertex;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Activation maximization: gradient ascent on the input of a {@link MultiLayerNetwork} or a single-input
 * {@link ComputationGraph} to find an input that excites one unit as much as possible: a layer's neuron or channel, or
 * a graph vertex's output (merge, element-wise, ...), numbered and named as the activation log has them.
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

  private final ComputationGraph graph;
  /** The vertex indices of the graph's layers and vertices but its input, in topological order: the log's layer index. */
  private final int[] layers;
  /** The layers' names as the activation log has them (a MultiLayerNetwork's layer names, a graph's vertex names). */
  private final String[] names;
  private final int inputVertex;
  private final int channels;
  private final int height;
  private final int width;
  private final boolean flatInput;
  private final boolean convolutional;
  private final LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();

  /**
   * @param model a MultiLayerNetwork (maximised through DL4J's graph form of it, same parameters) or a
   *     single-input ComputationGraph
   * @param imageShape {channels, height, width} of the input, or null to infer it (flat inputs whose size
   *     is a square, e.g. 784 = 28×28; a feed-forward-to-CNN preprocessor's shape)
   */
  public ActivationMaximizer(Model model, int[] imageShape) {
    requireNonNull(model, "model is null");
    if (model instanceof MultiLayerNetwork net) {
      graph = net.toComputationGraph(); // vertices "0", "1", ... in layer order, the network's parameters
      names = new String[net.getnLayers()];
      for (int i = 0; i < names.length; i++) {
        String name = net.getLayerWiseConfigurations().getConf(i).getLayer().getLayerName();
        names[i] = name == null ? "layer" + i : name;
      }
    } else if (model instanceof ComputationGraph g) {
      graph = g;
      names = null;
    } else {
      throw new InvalidInputException("Activation maximization takes a MultiLayerNetwork or a ComputationGraph, not a "
          + model.getClass().getSimpleName());
    }
    if (graph.getNumInputArrays() != 1) {
      throw new InvalidInputException("The model takes " + graph.getNumInputArrays() + " inputs "
          + graph.getConfiguration().getNetworkInputs() + "; activation maximization needs a model with one input");
    }
    GraphVertex[] vertices = graph.getVertices();
    int input = -1;
    int[] order = new int[vertices.length - 1];
    int n = 0;
    for (int v : graph.topologicalSortOrder()) {
      if (vertices[v].isInputVertex()) {
        input = v;
      } else {
        order[n++] = v;
      }
    }
    inputVertex = input;
    layers = order;
    Consumer first = firstConsumer();
    if (recurrent(first.layer())) {
      throw new InvalidInputException("The model's input goes into a recurrent layer, " + first.describe()
          + ": activation maximization takes dense and convolutional models (an input sequence is not a picture)");
    }
    int[] shape = imageShape;
    if (first.layer() instanceof ConvolutionLayer conv && first.pre() == null) {
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
      long size;
      if (first.pre() instanceof FeedForwardToCnnPreProcessor ff) {
        size = ff.getInputHeight() * ff.getInputWidth() * ff.getNumChannels();
        if (shape == null) {
          shape = new int[] {(int) ff.getNumChannels(), (int) ff.getInputHeight(), (int) ff.getInputWidth()};
        }
      } else if (first.layer() instanceof FeedForwardLayer ff && first.pre() == null) {
        size = ff.getNIn();
      } else if (shape != null) {
        size = (long) shape[0] * shape[1] * shape[2];
      } else {
        throw new InvalidInputException("Cannot tell the input size of a model whose input goes into "
            + first.describe() + "; pass --input-shape CHANNELS,HEIGHT,WIDTH");
      }
      if (shape == null) {
        int side = (int) Math.round(Math.sqrt(size));
        shape = side * side == size ? new int[] {1, side, side} : new int[] {1, 1, (int) size};
      }
      if ((long) shape[0] * shape[1] * shape[2] != size) {
        throw new InvalidInputException("--input-shape " + shape[0] + "," + shape[1] + "," + shape[2]
            + " does not match the model's " + size + " inputs");
      }
    }
    channels = shape[0];
    height = shape[1];
    width = shape[2];
    convolutional = !flatInput || first.pre() instanceof FeedForwardToCnnPreProcessor;
    graph.initGradientsView(); // a restored model has no gradient buffers until it is trained
    for (GraphVertex v : vertices) {
      if (v.hasLayer()) {
        v.getLayer().conf().getLayer().setIDropout(null); // deterministic forward and backward passes
      }
    }
  }

  private static boolean recurrent(org.deeplearning4j.nn.conf.layers.Layer layer) {
    return layer instanceof BaseRecurrentLayer || layer instanceof Bidirectional;
  }

  /** The first vertex (in topological order) that reads the model's input, with its layer and preprocessor. */
  private record Consumer(GraphVertex vertex, org.deeplearning4j.nn.conf.layers.Layer layer, InputPreProcessor pre) {
    String describe() {
      return vertex.getVertexName() + " (" + (layer != null ? layer.getClass().getSimpleName()
          : vertex.getClass().getSimpleName()) + ")";
    }
  }

  private Consumer firstConsumer() {
    GraphVertex[] vertices = graph.getVertices();
    for (int v : layers) {
      GraphVertex vertex = vertices[v];
      for (VertexIndices in : vertex.getInputVertices()) {
        if (in.getVertexIndex() == inputVertex) {
          if (vertex instanceof LayerVertex lv) {
            return new Consumer(vertex, lv.getLayer().conf().getLayer(), lv.getLayerPreProcessor());
          }
          return new Consumer(vertex, null, null);
        }
      }
    }
    throw new InvalidInputException("No layer reads the model's input");
  }

  /**
   * Whether the model takes image-shaped input into convolutions, where a shifted input is still a
   * meaningful input: jitter helps there. A dense layer sees a shifted image as a different input (its relu
   * may switch off and the gradient vanish), so jitter defaults to 0 for dense models.
   */
  public boolean convolutional() {
    return convolutional;
  }

  public int inputSize() {
    return channels * height * width;
  }

  public int[] imageShape() {
    return new int[] {channels, height, width};
  }

  /**
   * The layer index of {@code layer}: an index as the activation log numbers layers (a MultiLayerNetwork's layer
   * index; a graph's vertices but its input, in topological order), or a name as the log has it.
   */
  public int layer(String layer) {
    if (layer.matches("\\d{1,9}")) {
      int index = Integer.parseInt(layer);
      checkLayer(index);
      return index;
    }
    for (int i = 0; i < layers.length; i++) {
      if (layer.equals(name(i))) {
        return i;
      }
    }
    List<String> known = new ArrayList<>();
    for (int i = 0; i < layers.length; i++) {
      known.add(i + "=" + name(i));
    }
    throw new InvalidInputException("--layer " + layer + " names no layer of the model; known: " + String.join(", ", known));
  }

  /** The layer's name as the activation log has it. */
  public String name(int layer) {
    checkLayer(layer);
    return names != null ? names[layer] : graph.getVertices()[layers[layer]].getVertexName();
  }

  private void checkLayer(int layer) {
    if (layer < 0 || layer >= layers.length) {
      throw new InvalidInputException("--layer " + layer + " does not exist: the model has layers 0-"
          + (layers.length - 1));
    }
  }

  /** Checks the layer exists and has units (neurons or channels); the message names the valid range. */
  public int units(int layer) {
    checkLayer(layer);
    GraphVertex vertex = graph.getVertices()[layers[layer]];
    if (vertex.hasLayer()) {
      org.deeplearning4j.nn.conf.layers.Layer conf = vertex.getLayer().conf().getLayer();
      if (recurrent(conf)) {
        throw new InvalidInputException("Layer " + layer + " (" + name(layer) + ", " + conf.getClass().getSimpleName()
            + ") is recurrent; maximization supports dense, convolution and output layers and graph vertices");
      }
      if (conf instanceof FeedForwardLayer ff && ff.getNOut() > 0) {
        return (int) ff.getNOut();
      }
    }
    // A vertex without units in its configuration (merge, element-wise, pooling, ...): its output's size.
    INDArray out = forward(shaped(Nd4j.zeros(dataType(), 1, inputSize())), layer);
    if (out.rank() != 2 && out.rank() != 4) {
      throw new InvalidInputException("Layer " + layer + " (" + name(layer) + ") has rank-" + out.rank()
          + " output; only dense (rank 2) and convolution (rank 4) outputs can be maximised");
    }
    return (int) out.size(1);
  }

  /** The unit's activation for each row of {@code inputs} (one flattened input per row). */
  public double[] activations(float[][] inputs, int layer, int unit) {
    INDArray x = shaped(Nd4j.create(inputs).castTo(dataType()));
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

  private DataType dataType() {
    return graph.getConfiguration().getDataType();
  }

  private INDArray shaped(INDArray flat) {
    return flatInput ? flat : flat.reshape('c', flat.size(0), channels, height, width);
  }

  private IOutputLayer outputLayer(int layer) {
    GraphVertex vertex = graph.getVertices()[layers[layer]];
    return vertex.hasLayer() && vertex.getLayer() instanceof IOutputLayer o ? o : null;
  }

  /**
   * Runs the graph's vertices in topological order up to {@code layer}, leaving each its inputs for the backward
   * pass. For an output layer it stops at the layer's input, preprocessed (the logit is computed apart).
   */
  private INDArray forward(INDArray x, int layer) {
    GraphVertex[] vertices = graph.getVertices();
    graph.setInput(0, x); // preprocessors read the batch size from the graph's input
    Map<Integer, INDArray> out = new HashMap<>();
    out.put(inputVertex, x);
    for (int i = 0; i <= layer; i++) {
      GraphVertex vertex = vertices[layers[i]];
      VertexIndices[] inputs = vertex.getInputVertices();
      boolean needed = true;
      for (VertexIndices in : inputs) {
        needed &= out.containsKey(in.getVertexIndex());
      }
      if (!needed) {
        continue; // a branch of a multi-output graph the target does not depend on
      }
      for (VertexIndices in : inputs) {
        vertex.setInput(in.getVertexEdgeNumber(), out.get(in.getVertexIndex()), mgr);
      }
      if (i == layer && outputLayer(layer) != null) {
        INDArray a = out.get(inputs[0].getVertexIndex());
        InputPreProcessor pre = ((LayerVertex) vertex).getLayerPreProcessor();
        return pre == null ? a : pre.preProcess(a, (int) a.size(0), mgr);
      }
      out.put(layers[i], vertex.doForward(false, mgr));
    }
    return out.get(layers[layer]);
  }

  private INDArray unitActivation(INDArray out, int layer, int unit) {
    IOutputLayer output = outputLayer(layer);
    if (output != null) {
      INDArray w = output.getParam("W");
      INDArray b = output.getParam("b");
      return out.castTo(w.dataType()).mmul(w.getColumn(unit)).reshape(out.size(0)).add(b.getDouble(unit));
    }
    if (out.rank() == 2) {
      return out.getColumn(unit).dup();
    }
    if (out.rank() == 4) {
      return out.get(NDArrayIndex.all(), NDArrayIndex.point(unit), NDArrayIndex.all(), NDArrayIndex.all())
          .reshape(out.size(0), out.size(2) * out.size(3)).mean(1);
    }
    throw new InvalidInputException("Layer " + layer + " (" + name(layer) + ") has rank-" + out.rank()
        + " output; only dense (rank 2) and convolution (rank 4) outputs can be maximised");
  }

  /** d a(x) / d x through every vertex's own backprop, in reverse topological order, summing where paths join. */
  double[] gradient(double[] x, int layer, int unit) {
    float[][] row = new float[1][x.length];
    for (int i = 0; i < x.length; i++) {
      row[0][i] = (float) x[i];
    }
    INDArray out = forward(shaped(Nd4j.create(row).castTo(dataType())), layer);
    GraphVertex[] vertices = graph.getVertices();
    Map<Integer, INDArray> eps = new HashMap<>();
    IOutputLayer output = outputLayer(layer);
    int from = layer;
    if (output != null) {
      // The logit's gradient with respect to the output layer's (preprocessed) input is the unit's weight column.
      INDArray w = output.getParam("W");
      INDArray e = w.getColumn(unit).reshape(1, w.size(0)).castTo(out.dataType()).dup();
      GraphVertex vertex = vertices[layers[layer]];
      InputPreProcessor pre = ((LayerVertex) vertex).getLayerPreProcessor();
      if (pre != null) {
        e = pre.backprop(e, 1, mgr);
      }
      eps.put(vertex.getInputVertices()[0].getVertexIndex(), e);
      from = layer - 1;
    } else if (out.rank() == 2) {
      INDArray e = Nd4j.zeros(out.dataType(), out.shape());
      e.putScalar(0, unit, 1.0);
      eps.put(layers[layer], e);
    } else {
      INDArray e = Nd4j.zeros(out.dataType(), out.shape());
      double share = 1.0 / (out.size(2) * out.size(3));
      e.get(NDArrayIndex.point(0), NDArrayIndex.point(unit), NDArrayIndex.all(), NDArrayIndex.all()).assign(share);
      eps.put(layers[layer], e);
    }
    for (int i = from; i >= 0; i--) {
      INDArray e = eps.remove(layers[i]);
      if (e == null) {
        continue; // the target does not depend on this vertex
      }
      GraphVertex vertex = vertices[layers[i]];
      vertex.setEpsilon(e);
      INDArray[] back = vertex.doBackward(false, mgr).getSecond();
      VertexIndices[] inputs = vertex.getInputVertices();
      for (int k = 0; k < inputs.length; k++) {
        if (back[k] != null) {
          eps.merge(inputs[k].getVertexIndex(), back[k].dup(), INDArray::addi);
        }
      }
    }
    INDArray dx = eps.get(inputVertex);
    if (dx == null) {
      throw new InvalidInputException("Layer " + layer + " (" + name(layer) + ") does not depend on the model's input");
    }
    return dx.reshape(1, x.length).toDoubleVector();
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
