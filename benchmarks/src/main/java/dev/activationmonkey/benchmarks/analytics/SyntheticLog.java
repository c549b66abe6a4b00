package dev.activationmonkey.benchmarks.analytics;

import dev.activationmonkey.analytics.fixtures.SnapshotFileWriter;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A synthetic activation log for the benchmark: runs of a 4-layer MLP (relu, relu, sigmoid, softmax
 * output), every worker reporting every iteration: one activation snapshot (with per-neuron firing
 * rates) and gradient, parameter and update snapshots of W and b per layer: 7 rows per layer, worker and
 * iteration. One file per run, kind and worker, named as the collector names them.
 */
public final class SyntheticLog {
  private SyntheticLog() {}

  public record Shape(int runs, int layers, int workers, long iterations, int neurons) {
    public long rows() {
      return (long) runs * layers * workers * iterations * 7;
    }

    public static Shape forRows(long rows, int neurons) {
      int runs = 2;
      int layers = 4;
      int workers = 4;
      long perIteration = (long) runs * layers * workers * 7;
      return new Shape(runs, layers, workers, (rows + perIteration - 1) / perIteration, neurons);
    }
  }

  /** @return rows written */
  public static long write(Path root, Shape shape) {
    long written = 0;
    try (SnapshotFileWriter writer = new SnapshotFileWriter(root)) {
      for (int run = 0; run < shape.runs(); run++) {
        String runId = "bench-" + run;
        for (int worker = 0; worker < shape.workers(); worker++) {
          long n = shape.iterations() * shape.layers();
          String file = "monkey.snapshots+" + worker + "+";
          Map<String, String> common = new LinkedHashMap<>();
          common.put("partition_id", Integer.toString(worker));
          common.put("kafka_partition", Integer.toString(worker));
          common.put("iteration", "i // " + shape.layers());
          common.put("epoch", "(i // " + shape.layers() + ") // 1000");
          common.put("layer_index", "i % " + shape.layers());
          common.put("layer_name", "'layer' || (i % " + shape.layers() + ")");
          common.put("layer_type", "CASE WHEN i % " + shape.layers() + " = " + (shape.layers() - 1)
              + " THEN 'OutputLayer' ELSE 'DenseLayer' END");
          common.put("activation_function", "CASE i % " + shape.layers() + " WHEN " + (shape.layers() - 1)
              + " THEN 'softmax' WHEN " + (shape.layers() - 2) + " THEN 'sigmoid' ELSE 'relu' END");

          Map<String, String> act = new LinkedHashMap<>(common);
          act.put("kafka_offset", "i");
          act.put("zero_fraction", "0.3 + 0.2 * ((hash(i) % 100) / 100.0)");
          act.put("near_zero_fraction", "0.35 + 0.2 * ((hash(i) % 100) / 100.0)");
          act.put("saturated_fraction", "CASE WHEN i % " + shape.layers() + " = " + (shape.layers() - 2)
              + " THEN 0.1 END");
          act.put("neuron_unit", "'NEURON'");
          act.put("neuron_examples", "64");
          act.put("firing_rate", "list_transform(range(" + shape.neurons()
              + "), k -> CASE WHEN k < 2 THEN 0.0 ELSE ((hash(i + k) % 1000) / 1000.0) END)");
          writer.write(runId, "activation", file + "0+" + (n - 1) + ".parquet", act, "range(" + n + ") t(i)");
          written += n;

          for (String kind : new String[] {"gradient", "parameter", "update"}) {
            Map<String, String> p = new LinkedHashMap<>(common);
            p.put("iteration", "(i // 2) // " + shape.layers());
            p.put("epoch", "((i // 2) // " + shape.layers() + ") // 1000");
            p.put("layer_index", "(i // 2) % " + shape.layers());
            p.put("layer_name", "'layer' || ((i // 2) % " + shape.layers() + ")");
            p.put("layer_type", common.get("layer_type").replace("i % ", "(i // 2) % "));
            p.put("activation_function", common.get("activation_function").replace("i % ", "(i // 2) % "));
            p.put("parameter_name", "CASE WHEN i % 2 = 0 THEN 'W' ELSE 'b' END");
            p.put("kafka_offset", "i");
            String scale = switch (kind) {
              case "gradient" -> "0.05";
              case "parameter" -> "5.0";
              default -> "0.005";
            };
            p.put("l2_norm", scale + " * (1 + (hash(i) % 100) / 100.0)");
            writer.write(runId, kind, file + "0+" + (2 * n - 1) + ".parquet", p, "range(" + (2 * n) + ") t(i)");
            written += 2 * n;
          }
        }
      }
    }
    return written;
  }
}
