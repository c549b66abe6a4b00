package dev.activationmonkey.analytics.report;

import dev.activationmonkey.errors.InvalidInputException;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The alert rules' thresholds. Every key is defined once here with its default and its meaning; values come
 * from the defaults, then a rules file ({@code --rules FILE}, Java properties), then {@code --threshold
 * KEY=VALUE} flags. Unknown keys and values outside a key's range fail at load, naming the key.
 */
public final class Thresholds {
  /** One configurable threshold. */
  public record Key(String name, double defaultValue, double min, double max, String doc) {}

  public static final Key WINDOWS = key("windows", 10, 1, 10_000,
      "How many equal windows of iterations a run is cut into; 'the last window' is the latest of them.");
  public static final Key DEAD_SHARE_WARN = key("dead.share.warn", 0.10, 0, 1,
      "dead-neurons warns when this share of a layer's neurons never fired in the last window.");
  public static final Key DEAD_SHARE_ERROR = key("dead.share.error", 0.50, 0, 1,
      "dead-neurons is an error from this share on.");
  public static final Key LAZY_RATE = key("lazy.rate", 0.05, 0, 1,
      "A neuron is lazy when its mean firing rate over the run is below this (and it is not dead).");
  public static final Key LAZY_SHARE_WARN = key("lazy.share.warn", 0.50, 0, 1,
      "lazy-neurons warns when this share of a layer's neurons is lazy.");
  public static final Key SATURATION_WARN = key("saturation.warn", 0.50, 0, 1,
      "saturation warns when a sigmoid/tanh-like layer has this share of activations near its asymptotes "
          + "(mean over the last window).");
  public static final Key SATURATION_ERROR = key("saturation.error", 0.80, 0, 1,
      "saturation is an error from this share on.");
  public static final Key VANISHING_WARN = key("vanishing.ratio.warn", 1e-2, 0, 1,
      "vanishing-gradient warns when the first layer's gradient L2 norm over the last layer's (last window) "
          + "is below this.");
  public static final Key VANISHING_ERROR = key("vanishing.ratio.error", 1e-4, 0, 1,
      "vanishing-gradient is an error below this ratio.");
  public static final Key EXPLODING_WARN = key("exploding.growth.warn", 1e2, 1, Double.MAX_VALUE,
      "exploding-gradient warns when a layer's gradient L2 norm grew by this factor from the first window to the "
          + "last.");
  public static final Key EXPLODING_ERROR = key("exploding.growth.error", 1e4, 1, Double.MAX_VALUE,
      "exploding-gradient is an error from this growth on.");
  public static final Key UPDATE_HIGH_WARN = key("update.ratio.high.warn", -1.5, -20, 5,
      "update-ratio warns when log10(update L2 / parameter L2) of a layer (mean over the last window) is above "
          + "this; about -3 is healthy.");
  public static final Key UPDATE_HIGH_ERROR = key("update.ratio.high.error", -0.5, -20, 5,
      "update-ratio is an error above this.");
  public static final Key UPDATE_LOW_WARN = key("update.ratio.low.warn", -5.0, -20, 5,
      "update-ratio warns below this (the layer has almost stopped learning).");

  public static final Key OVERFITTING_EPOCHS = key("overfitting.epochs", 2, 1, 1000,
      "overfitting warns when the test loss (evaluations) rose in each of this many consecutive epochs, up to the "
          + "last one.");
  public static final Key STALLED_EPOCHS = key("stalled.epochs", 3, 2, 1000,
      "learning-stalled looks at the test loss of this many last evaluated epochs.");
  public static final Key STALLED_LOSS_CHANGE = key("stalled.loss.change", 0.005, 0, 1,
      "learning-stalled warns when those losses vary by less than this share of their mean while every layer's "
          + "update ratio is healthy (between update.ratio.low.warn and update.ratio.high.warn).");

  public static final Key STRAGGLER_WARN = key("straggler.slowdown.warn", 2.0, 1, Double.MAX_VALUE,
      "straggler warns when a worker's median time per iteration (between its consecutive logged iterations, from "
          + "the snapshots' timestamps) is this many times the median of the other workers'.");
  public static final Key STRAGGLER_ERROR = key("straggler.slowdown.error", 5.0, 1, Double.MAX_VALUE,
      "straggler is an error from this slowdown on.");
  public static final Key STRAGGLER_MIN_STEPS = key("straggler.min.steps", 20, 1, 1_000_000,
      "straggler judges only workers with at least this many timed steps (a few iterations on a busy machine say "
          + "little: found when 7 steps of one of two local-mode workers on a loaded 2-core machine read 2.3x).");
  public static final Key DISAGREE_FACTOR = key("worker.disagree.factor", 3.0, 1, Double.MAX_VALUE,
      "worker-disagreement: a worker's gradient L2 norm or activation mean |x| of a layer is off at an iteration "
          + "when it and the median of all workers' (at least 3) differ by this factor or more.");
  public static final Key DISAGREE_ZERO = key("worker.disagree.zero.diff", 0.3, 0, 1,
      "worker-disagreement: a worker's activation zero fraction is off when it differs from the workers' median "
          + "by this much or more.");
  public static final Key DISAGREE_SHARE = key("worker.disagree.share", 0.5, 0, 1,
      "worker-disagreement warns when a worker is off in at least this share of the compared iterations of a layer "
          + "and statistic (consistently, not once).");

  private static Map<String, Key> keys;

  private static Key key(String name, double value, double min, double max, String doc) {
    Key k = new Key(name, value, min, max, doc);
    if (keys == null) {
      keys = new LinkedHashMap<>();
    }
    keys.put(name, k);
    return k;
  }

  /** Every key, in documentation order. */
  public static Map<String, Key> keys() {
    return Collections.unmodifiableMap(keys);
  }

  private final Map<String, Double> values;

  private Thresholds(Map<String, Double> values) {
    this.values = values;
  }

  public static Thresholds defaults() {
    return load(null, Map.of());
  }

  /**
   * @param rulesFile a properties file of KEY=VALUE, or null
   * @param overrides KEY to VALUE text (from {@code --threshold}), applied after the file
   */
  public static Thresholds load(Path rulesFile, Map<String, String> overrides) {
    Map<String, Double> values = new LinkedHashMap<>();
    keys.values().forEach(k -> values.put(k.name(), k.defaultValue()));
    if (rulesFile != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(rulesFile)) {
        p.load(r);
      } catch (IOException e) {
        throw new InvalidInputException("Cannot read rules file " + rulesFile + ": " + e.getMessage(), e);
      }
      for (String name : p.stringPropertyNames()) {
        values.put(name, parse(name, p.getProperty(name), "rules file " + rulesFile));
      }
    }
    overrides.forEach((name, text) -> values.put(name, parse(name, text, "--threshold")));
    Thresholds t = new Thresholds(values);
    t.requireOrdered(DEAD_SHARE_WARN, DEAD_SHARE_ERROR);
    t.requireOrdered(SATURATION_WARN, SATURATION_ERROR);
    t.requireOrdered(VANISHING_ERROR, VANISHING_WARN);
    t.requireOrdered(EXPLODING_WARN, EXPLODING_ERROR);
    t.requireOrdered(UPDATE_HIGH_WARN, UPDATE_HIGH_ERROR);
    t.requireOrdered(UPDATE_LOW_WARN, UPDATE_HIGH_WARN);
    t.requireOrdered(STRAGGLER_WARN, STRAGGLER_ERROR);
    return t;
  }

  private static double parse(String name, String text, String source) {
    Key key = keys.get(name.strip());
    if (key == null) {
      throw new InvalidInputException("Unknown threshold '" + name + "' in " + source + ". Known: "
          + String.join(", ", keys.keySet()));
    }
    double value;
    try {
      value = Double.parseDouble(text.strip());
    } catch (NumberFormatException e) {
      throw new InvalidInputException("Threshold " + name + " in " + source + " must be a number, got '" + text + "'");
    }
    if (!(value >= key.min() && value <= key.max())) {
      throw new InvalidInputException("Threshold " + name + " in " + source + " must be between " + key.min()
          + " and " + key.max() + ", got " + value);
    }
    return value;
  }

  private void requireOrdered(Key lower, Key higher) {
    if (get(lower) > get(higher)) {
      throw new InvalidInputException("Threshold " + lower.name() + " (" + get(lower) + ") must not be above "
          + higher.name() + " (" + get(higher) + ")");
    }
  }

  public double get(Key key) {
    return values.get(key.name());
  }

  public Map<String, Double> values() {
    return Collections.unmodifiableMap(values);
  }
}
