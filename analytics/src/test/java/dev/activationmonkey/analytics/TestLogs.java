package dev.activationmonkey.analytics;

import dev.activationmonkey.analytics.fixtures.SnapshotFileWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds activation logs with known answers, written by DuckDB in the collector's layout. Each layer's
 * statistics are SQL expressions over the iteration {@code i} (and the neuron {@code k} for firing rates),
 * so a test states its expected numbers from the same formulas, not from the code under test.
 */
public final class TestLogs {
  private TestLogs() {}

  /** One layer of a synthetic run. Defaults describe a healthy relu layer. */
  public record Layer(int index, String activation, int neurons, String firingRate, String zeroFraction,
      String saturated, String gradientW, String nanCount, String parameterW, String updateW,
      String activationNanCount) {
    public static Layer healthy(int index) {
      return new Layer(index, "relu", 10, "0.3 + 0.4 * (((k * 7 + i) % 10) / 10.0)", "0.5", "NULL", "0.5", "0",
          "5.0", "0.005", "0");
    }

    public Layer activation(String a) {
      return new Layer(index, a, neurons, firingRate, zeroFraction, saturated, gradientW, nanCount, parameterW, updateW, activationNanCount);
    }

    public Layer firingRate(String f) {
      return new Layer(index, activation, neurons, f, zeroFraction, saturated, gradientW, nanCount, parameterW, updateW, activationNanCount);
    }

    public Layer zeroFraction(String z) {
      return new Layer(index, activation, neurons, firingRate, z, saturated, gradientW, nanCount, parameterW, updateW, activationNanCount);
    }

    public Layer saturated(String s) {
      return new Layer(index, activation, neurons, firingRate, zeroFraction, s, gradientW, nanCount, parameterW, updateW, activationNanCount);
    }

    public Layer gradientW(String g) {
      return new Layer(index, activation, neurons, firingRate, zeroFraction, saturated, g, nanCount, parameterW, updateW, activationNanCount);
    }

    public Layer nanCount(String n) {
      return new Layer(index, activation, neurons, firingRate, zeroFraction, saturated, gradientW, n, parameterW, updateW, activationNanCount);
    }

    /** NaN count of the layer's activations (an expression over the iteration i). */
    public Layer activationNanCount(String n) {
      return new Layer(index, activation, neurons, firingRate, zeroFraction, saturated, gradientW, nanCount, parameterW,
          updateW, n);
    }

    /** The layer with {@code {w}} in its expressions replaced by the worker's number. */
    Layer forWorker(int w) {
      String n = Integer.toString(w);
      return new Layer(index, activation, neurons, firingRate.replace("{w}", n), zeroFraction.replace("{w}", n),
          saturated.replace("{w}", n), gradientW.replace("{w}", n), nanCount.replace("{w}", n),
          parameterW.replace("{w}", n), updateW.replace("{w}", n), activationNanCount.replace("{w}", n));
    }

    public Layer updateW(String u) {
      return new Layer(index, activation, neurons, firingRate, zeroFraction, saturated, gradientW, nanCount, parameterW, u, activationNanCount);
    }
  }

  /** Every worker takes this many milliseconds per iteration unless a test says otherwise. */
  public static final long MS_PER_ITERATION = 100;

  /**
   * Writes a run: for each worker, one activation file and one file each of gradients, parameters and
   * updates (W, and b at a fifth of W's L2 norm), for iterations 0..iterations-1. Worker {@code w} runs on
   * executor {@code exec-w} of host {@code host-w}, one iteration every {@link #MS_PER_ITERATION} ms.
   */
  public static void writeRun(Path root, String runId, int iterations, int workers, int attempt, List<Layer> layers) {
    long[] pace = new long[workers];
    java.util.Arrays.fill(pace, MS_PER_ITERATION);
    writeRun(root, runId, iterations, attempt, layers, pace);
  }

  /**
   * As {@link #writeRun(Path, String, int, int, int, List)}, with one worker per element of
   * {@code msPerIteration}: worker w logs iteration i at {@code i * msPerIteration[w]} ms after the run's start.
   * A layer's expressions may name the worker as {@code {w}} (e.g. {@code CASE WHEN {w} = 2 THEN 5.0 ELSE 0.5 END}).
   */
  public static void writeRun(Path root, String runId, int iterations, int attempt, List<Layer> layers,
      long[] msPerIteration) {
    int workers = msPerIteration.length;
    try (SnapshotFileWriter w = new SnapshotFileWriter(root)) {
      for (Layer any : layers) {
        for (int worker = 0; worker < workers; worker++) {
          Layer layer = any.forWorker(worker);
          long pace = msPerIteration[worker];
          String file = "monkey.snapshots+" + worker + "+" + (attempt * 1_000_000 + layer.index() * 10_000) + "+"
              + (attempt * 1_000_000 + layer.index() * 10_000 + iterations * 2 - 1) + ".parquet";
          Map<String, String> common = new LinkedHashMap<>();
          common.put("partition_id", Integer.toString(worker));
          common.put("attempt_number", Integer.toString(attempt));
          common.put("kafka_partition", Integer.toString(worker));
          common.put("iteration", "i");
          common.put("epoch", "i // 50");
          common.put("layer_index", Integer.toString(layer.index()));
          common.put("executor_id", "'exec-" + worker + "'");
          common.put("host", "'host-" + worker + "'");
          common.put("timestamp", "epoch_ms(1735689600000 + i * " + pace + ")");
          common.put("layer_name", "'dense" + layer.index() + "'");
          common.put("activation_function", "'" + layer.activation() + "'");
          common.put("kafka_offset", (attempt * 1_000_000 + layer.index() * 10_000) + " + i");
          Map<String, String> act = new LinkedHashMap<>(common);
          act.put("zero_fraction", layer.zeroFraction());
          act.put("near_zero_fraction", layer.zeroFraction() + " + 0.01");
          act.put("saturated_fraction", layer.saturated());
          act.put("nan_count", layer.activationNanCount());
          act.put("neuron_unit", "'NEURON'");
          act.put("neuron_examples", "64");
          act.put("firing_rate", "list_transform(range(" + layer.neurons() + "), k -> " + layer.firingRate() + ")");
          w.write(runId, "activation", file, act, "range(" + iterations + ") t(i)");
          for (String kind : List.of("gradient", "parameter", "update")) {
            String w2 = switch (kind) {
              case "gradient" -> layer.gradientW();
              case "parameter" -> layer.parameterW();
              default -> layer.updateW();
            };
            Map<String, String> p = new LinkedHashMap<>(common);
            p.put("iteration", "i // 2");
            p.put("epoch", "(i // 2) // 50");
            p.put("timestamp", "epoch_ms(1735689600000 + (i // 2) * " + pace + ")");
            p.put("parameter_name", "CASE WHEN i % 2 = 0 THEN 'W' ELSE 'b' END");
            // Expressions are over the iteration: substitute it before the W/b split.
            String value = "(" + w2.replace("i", "(i // 2)") + ")";
            p.put("l2_norm", "CASE WHEN i % 2 = 0 THEN " + value + " ELSE " + value + " / 5 END");
            p.put("nan_count", kind.equals("gradient") ? "CASE WHEN i % 2 = 0 THEN " + layer.nanCount().replace("i", "(i // 2)") + " ELSE 0 END" : "0");
            w.write(runId, kind, file, p, "range(" + (2 * iterations) + ") t(i)");
          }
        }
      }
    }
  }
}
