package dev.activationmonkey.analytics.report;

import java.util.List;
import java.util.Map;

/**
 * What to try per rule, each with the job-spec setting that applies it. Only keys the trainer's spec
 * really has (trainer/spec, docs/trainer.md); a remedy without one says so. Listed in docs/analytics.md.
 */
public final class Remedies {
  private Remedies() {}

  static final Remedy LOWER_LEARNING_RATE =
      new Remedy("lower the learning rate (e.g. 3-10x)", "network.updater.learning-rate");
  static final Remedy SCHEDULE =
      new Remedy("decay the learning rate with a schedule", "network.updater.schedule.type: step (or exponential)");
  static final Remedy HE_INIT =
      new Remedy("He initialisation for ReLU layers", "network.weight-init: he (or the layer's weight-init: he)");
  static final Remedy XAVIER_INIT = new Remedy("Xavier initialisation for tanh/sigmoid layers",
      "network.weight-init: xavier (or the layer's weight-init: xavier)");
  static final Remedy LEAKY_RELU =
      new Remedy("leaky ReLU keeps a gradient for negative inputs", "the layer's activation: leaky-relu");
  static final Remedy BATCH_NORM =
      new Remedy("batch normalisation after the layer", "a {type: batch-norm} entry in network.layers");
  static final Remedy NORMALIZE_INPUTS =
      new Remedy("normalise the inputs", "data.normalize: standardize (or scale, min-max)");
  static final Remedy FEWER_SIGMOIDS = new Remedy("fewer sigmoid/tanh layers: relu in the hidden layers",
      "the layer's activation: relu");
  static final Remedy CLIP = new Remedy("clip the gradient by its L2 norm",
      "network.gradient-normalization.mode: clip-l2-per-layer, network.gradient-normalization.threshold: 1.0");
  static final Remedy CHECK_DATA = new Remedy("check the input data for NaN/Inf values and extreme ranges", null);
  static final Remedy RAISE_LEARNING_RATE =
      new Remedy("raise the learning rate, or let a schedule decay it less", "network.updater.learning-rate");
  static final Remedy ADAPTIVE_UPDATER = new Remedy("an adaptive updater", "network.updater.type: adam");
  static final Remedy L2 = new Remedy("weight decay (L2 regularisation)", "network.l2: 1e-4 (or the layer's l2)");
  static final Remedy DROPOUT = new Remedy("dropout (drop probability)",
      "network.dropout: 0.2, or a {type: dropout, rate: 0.5} entry in network.layers");
  static final Remedy FEWER_EPOCHS = new Remedy("stop at the epoch with the lowest test loss (there is no "
      + "early-stopping key; use the checkpoint of that epoch)", "training.epochs, training.checkpoint-dir");
  static final Remedy MORE_DATA = new Remedy("train on more examples", "data.limit: 0 (all of data.path)");
  static final Remedy LOSS_MATCHES_OUTPUT = new Remedy("check the loss matches the output activation "
      + "(mcxent with softmax, xent with sigmoid)", "the output layer's loss");
  static final Remedy MORE_CAPACITY = new Remedy("more capacity: wider layers", "the layers' size / filters");

  static final Remedy CHECK_HOST = new Remedy("check the executor's host: other jobs competing for its CPUs, "
      + "memory pressure and long GC pauses, a slow disk or network (the Spark UI's task and GC times per executor)",
      null);
  static final Remedy CHECK_SHARD_SIZE = new Remedy("check the worker's data shard is not larger or slower to "
      + "read than the others' (examples per partition, files on a slow store)", null);
  static final Remedy FEWER_WORKERS = new Remedy("leave the host out of the cluster, or run fewer workers so "
      + "each gets a healthy executor", "training.workers");
  static final Remedy AVERAGE_LESS_OFTEN = new Remedy("average less often, so the others wait for it less often "
      + "(parameter averaging)", "training.parameter-averaging.averaging-frequency");
  static final Remedy CHECK_SHARD = new Remedy("check the worker's data shard: corrupt, mislabelled or "
      + "differently scaled examples, or a shard of few classes", null);
  static final Remedy CHECK_EXECUTOR = new Remedy("check the executor's host: its native backend (ND4J/BLAS "
      + "build, CPU or GPU) and library versions against the other executors', a faulty device", null);
  static final Remedy RESHUFFLE = new Remedy("rerun with another shuffle seed: a disagreement that follows the "
      + "examples to another worker is the data, one that stays on the host is the executor", "data.shuffle-seed");

  private static final Map<String, List<Remedy>> BY_RULE = Map.ofEntries(
      Map.entry("dead-neurons", List.of(LOWER_LEARNING_RATE, SCHEDULE, HE_INIT, LEAKY_RELU, BATCH_NORM)),
      Map.entry("lazy-neurons", List.of(HE_INIT, LEAKY_RELU, NORMALIZE_INPUTS, BATCH_NORM)),
      Map.entry("saturation", List.of(XAVIER_INIT, NORMALIZE_INPUTS, BATCH_NORM, FEWER_SIGMOIDS, LOWER_LEARNING_RATE)),
      Map.entry("vanishing-gradient", List.of(FEWER_SIGMOIDS, HE_INIT, XAVIER_INIT, BATCH_NORM,
          new Remedy("a shallower network or residual connections", null))),
      Map.entry("exploding-gradient", List.of(CLIP, LOWER_LEARNING_RATE, SCHEDULE, NORMALIZE_INPUTS)),
      Map.entry("non-finite", List.of(LOWER_LEARNING_RATE, CLIP, NORMALIZE_INPUTS, CHECK_DATA)),
      Map.entry("overfitting", List.of(L2, DROPOUT, FEWER_EPOCHS, MORE_DATA)),
      Map.entry("learning-stalled", List.of(RAISE_LEARNING_RATE, ADAPTIVE_UPDATER, LOSS_MATCHES_OUTPUT, MORE_CAPACITY)),
      Map.entry("straggler", List.of(CHECK_HOST, CHECK_SHARD_SIZE, FEWER_WORKERS, AVERAGE_LESS_OFTEN)),
      Map.entry("worker-disagreement", List.of(CHECK_SHARD, CHECK_EXECUTOR, RESHUFFLE, NORMALIZE_INPUTS)));

  /** The remedies of a rule; empty for a rule without any. */
  public static List<Remedy> of(String rule) {
    return BY_RULE.getOrDefault(rule, List.of());
  }

  /** update-ratio's remedies depend on the direction: too large updates, or a layer that stopped learning. */
  public static List<Remedy> updateRatio(boolean tooLarge) {
    return tooLarge ? List.of(LOWER_LEARNING_RATE, SCHEDULE, CLIP)
        : List.of(RAISE_LEARNING_RATE, ADAPTIVE_UPDATER, new Remedy("look for dead units in the layer (dead-neurons)", null));
  }

  /** Every rule with remedies, for docs and tests. */
  public static Map<String, List<Remedy>> byRule() {
    return BY_RULE;
  }
}
