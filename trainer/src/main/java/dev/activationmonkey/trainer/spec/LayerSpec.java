package dev.activationmonkey.trainer.spec;

import java.util.List;

/**
 * One layer of a network spec. Fields that do not apply to a type are null.
 *
 * @param type dense, convolution, subsampling, batch-norm, dropout, output, or for sequences lstm, graves-lstm,
 *     simple-rnn, bidirectional or rnn-output
 * @param size units (dense, output, recurrent layers, rnn-output) or filters (convolution)
 * @param activation a DL4J {@code Activation} name, lower-case
 * @param weightInit a DL4J {@code WeightInit} name, lower-case, or null for the network default
 * @param dropout drop probability of this layer's input (0 = none), or null for the network default
 * @param l1 L1 regularisation of weights, or null for the network default
 * @param l2 L2 regularisation of weights, or null for the network default
 * @param kernel convolution/subsampling kernel [h, w]
 * @param stride convolution/subsampling stride [h, w]
 * @param padding convolution/subsampling padding [h, w]
 * @param pooling subsampling: max, avg or pnorm
 * @param loss output: a DL4J {@code LossFunction} name, lower-case
 * @param name optional layer name (defaults to layer&lt;index&gt;)
 * @param gateActivation lstm, graves-lstm: the gates' activation, a DL4J {@code Activation} name (sigmoid)
 * @param mode bidirectional: how the two directions' outputs combine: concat, add, mul or average
 * @param wrapped bidirectional: the recurrent layer run in both directions (lstm, graves-lstm or simple-rnn)
 */
public record LayerSpec(String type, Integer size, String activation, String weightInit, Double dropout, Double l1,
    Double l2, int[] kernel, int[] stride, int[] padding, String pooling, String loss, String name,
    String gateActivation, String mode, LayerSpec wrapped) {

  static final List<String> TYPES = List.of("dense", "convolution", "subsampling", "batch-norm", "dropout", "output",
      "lstm", "graves-lstm", "simple-rnn", "bidirectional", "rnn-output");
  /** Layers that take and give sequences {@code [batch, features, time]}. */
  public static final List<String> RECURRENT = List.of("lstm", "graves-lstm", "simple-rnn", "bidirectional");
  /** The output layers: {@code output} for examples, {@code rnn-output} for sequences (an output per time step). */
  public static final List<String> OUTPUTS = List.of("output", "rnn-output");
  static final List<String> POOLING = List.of("max", "avg", "pnorm");
  static final List<String> BIDIRECTIONAL_MODES = List.of("concat", "add", "mul", "average");

  /** Whether this layer takes and gives sequences. */
  public boolean isRecurrent() {
    return RECURRENT.contains(type);
  }

  static LayerSpec read(SpecNode n) {
    String type = n.choice("type", null, TYPES);
    if (type == null) {
      throw n.invalidKey("type", "required; allowed: " + String.join(", ", TYPES));
    }
    String name = n.string("name", null);
    Integer size = null;
    String activation = null;
    String weightInit = null;
    Double l1 = null;
    Double l2 = null;
    int[] kernel = null;
    int[] stride = null;
    int[] padding = null;
    String pooling = null;
    String loss = null;
    String gateActivation = null;
    String mode = null;
    LayerSpec wrapped = null;
    Double dropout = n.optionalNumber(type.equals("dropout") ? "rate" : "dropout", 0.0, 0.99);
    switch (type) {
      case "dense", "output", "convolution", "lstm", "graves-lstm", "simple-rnn", "rnn-output" -> {
        String sizeKey = type.equals("convolution") ? "filters" : "size";
        boolean output = OUTPUTS.contains(type);
        boolean recurrent = RECURRENT.contains(type);
        size = output && !n.has(sizeKey) ? null : n.integer(sizeKey, -1, 1, 1 << 24);
        if (size != null && size < 0) {
          throw n.invalidKey(sizeKey, "required: the number of " + (type.equals("convolution") ? "filters" : "units"));
        }
        activation = Names.activation(n, "activation", output ? "softmax" : recurrent ? "tanh" : "relu");
        if (type.equals("lstm") || type.equals("graves-lstm")) {
          gateActivation = Names.activation(n, "gate-activation", "sigmoid");
        }
        weightInit = Names.weightInit(n, "weight-init", null);
        l1 = n.optionalNumber("l1", 0, 10);
        l2 = n.optionalNumber("l2", 0, 10);
        if (type.equals("convolution")) {
          kernel = positive(n, "kernel", n.pair("kernel", new int[] {3, 3}));
          stride = positive(n, "stride", n.pair("stride", new int[] {1, 1}));
          padding = n.pair("padding", new int[] {0, 0});
        }
        if (output) {
          loss = Names.loss(n, "loss", activation.equals("softmax") ? "mcxent" : "mse");
        }
      }
      case "bidirectional" -> {
        mode = n.choice("mode", "concat", BIDIRECTIONAL_MODES);
        if (!n.has("layer")) {
          throw n.invalidKey("layer", "required: the recurrent layer to run in both directions, e.g."
              + " {type: lstm, size: 16}");
        }
        SpecNode inner = n.object("layer");
        wrapped = read(inner);
        if (!List.of("lstm", "graves-lstm", "simple-rnn").contains(wrapped.type())) {
          throw inner.invalidKey("type", "bidirectional wraps lstm, graves-lstm or simple-rnn, not " + wrapped.type());
        }
        if (wrapped.name() != null) {
          throw inner.invalidKey("name", "name the bidirectional layer instead (its name is the wrapped layer's)");
        }
      }
      case "subsampling" -> {
        pooling = n.choice("pooling", "max", POOLING);
        kernel = positive(n, "kernel", n.pair("kernel", new int[] {2, 2}));
        stride = positive(n, "stride", n.pair("stride", new int[] {2, 2}));
        padding = n.pair("padding", new int[] {0, 0});
      }
      case "batch-norm" -> {
        // No settings beyond name: sizes come from the previous layer.
      }
      case "dropout" -> {
        if (dropout == null) {
          throw n.invalidKey("rate", "required: the drop probability, 0 to 0.99");
        }
      }
      default -> throw new IllegalStateException(type);
    }
    n.done();
    return new LayerSpec(type, size, activation, weightInit, dropout, l1, l2, kernel, stride, padding, pooling, loss,
        name, gateActivation, mode, wrapped);
  }

  private static int[] positive(SpecNode n, String key, int[] pair) {
    if (pair[0] < 1 || pair[1] < 1) {
      throw n.invalidKey(key, "must be at least 1 in each dimension");
    }
    return pair;
  }
}
