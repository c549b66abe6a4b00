package dev.activationmonkey.analytics.serve;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.DatasetFiles;
import dev.activationmonkey.analytics.chart.HeatmapData;
import dev.activationmonkey.analytics.chart.HeatmapRenderer;
import dev.activationmonkey.analytics.report.Alert;
import dev.activationmonkey.analytics.report.Diagnosis;
import dev.activationmonkey.analytics.report.EvaluationRow;
import dev.activationmonkey.analytics.report.Heatmaps;
import dev.activationmonkey.analytics.report.LayerIterationRow;
import dev.activationmonkey.analytics.report.LayerReport;
import dev.activationmonkey.analytics.report.RunReport;
import dev.activationmonkey.analytics.report.Stat;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * What the dashboard's JSON and image endpoints answer, computed by the same code as {@code monkey report}: the
 * {@link dev.activationmonkey.analytics.report.ReportBuilder}'s report (rules, thresholds, alerts, per-iteration
 * series), {@link Heatmaps} and {@link HeatmapRenderer}. A run named in a request must be one of the dataset's runs
 * (else 404) before anything is queried, and the few queries of its own bind their parameters.
 */
final class DashboardApi {
  static final List<String> HEATMAP_METRICS = List.of("sparsity", "gradient", "firing");
  static final List<String> WORKER_METRICS = List.of("zero", "gradient");
  private static final Set<String> GRADIENT_RULES = Set.of("exploding-gradient", "vanishing-gradient", "non-finite",
      "update-ratio");
  private static final Set<String> SPARSITY_RULES = Set.of("dead-neurons", "lazy-neurons", "saturation");

  private final LiveDataset dataset;

  DashboardApi(LiveDataset dataset) {
    this.dataset = requireNonNull(dataset, "dataset is null");
  }

  Map<String, Object> version(Params unused) {
    return Map.of("version", dataset.version());
  }

  /** One entry per run: status, start, network, latest evaluation, alerts, workers, iterations. */
  Map<String, Object> runs(Params unused) {
    if (DatasetFiles.list(dataset.root()).files(DatasetFiles.SNAPSHOTS).isEmpty()) {
      return Map.of("version", dataset.version(), "runs", List.of());
    }
    return dataset.read(view -> {
      Map<String, Map<String, Object>> starts = runStarts(view.log());
      Map<String, Map<String, Object>> ends = runEnds(view.log());
      List<Object> runs = new ArrayList<>();
      for (RunReport r : view.report().runs()) {
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("runId", r.runId());
        Map<String, Object> end = ends.get(r.runId());
        run.put("status", end == null ? "running" : end.get("status"));
        Map<String, Object> start = starts.getOrDefault(r.runId(), Map.of());
        run.put("startMillis", start.get("startMillis"));
        run.put("network", start.getOrDefault("network", networkFromLayers(r)));
        run.put("workers", Math.max(r.workers(), ((Number) start.getOrDefault("workers", 0)).intValue()));
        List<EvaluationRow> evals = view.engine().evaluations(List.of(r.runId()));
        EvaluationRow last = evals.isEmpty() ? null : evals.get(evals.size() - 1);
        run.put("loss", last == null ? null : finite(last.loss()));
        run.put("accuracy", last == null ? null : finite(last.accuracy()));
        run.put("alerts", r.alerts().size());
        run.put("errors", r.alerts().stream().filter(a -> a.level() == Alert.Level.ERROR).count());
        run.put("lastIteration", r.windows().lastIteration());
        runs.add(run);
      }
      return Map.of("version", view.version(), "runs", runs);
    });
  }

  /** A run's page: layers with badges, diagnoses, per-layer series, evaluations. */
  Map<String, Object> run(String runId) {
    return dataset.read(view -> {
      RunReport r = find(view, runId);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("version", view.version());
      out.put("runId", r.runId());
      Map<String, Object> end = runEnds(view.log()).get(r.runId());
      out.put("status", end == null ? "running" : end.get("status"));
      out.put("workers", r.workers());
      out.put("firstIteration", r.windows().firstIteration());
      out.put("lastIteration", r.windows().lastIteration());
      out.put("finalAccuracy", finite(r.finalAccuracy()));
      List<Object> layers = new ArrayList<>();
      for (LayerReport l : r.layers()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", l.layerIndex());
        m.put("name", l.layerName());
        m.put("type", l.layerType());
        m.put("activation", l.activationFunction());
        m.put("units", l.neurons());
        m.put("deadLastWindow", l.deadLastWindow());
        m.put("deadWholeRun", l.deadWholeRun());
        m.put("lazy", l.lazy());
        m.put("zero", finite(l.zeroFraction()));
        m.put("nearZero", finite(l.nearZeroFraction()));
        m.put("saturated", l.bounded() ? finite(l.saturatedFraction()) : null);
        m.put("gradientL2", finite(l.gradientL2()));
        m.put("gradientGrowth", finite(l.gradientGrowth()));
        m.put("updateRatioLog10", finite(l.updateRatioLog10()));
        m.put("nonFinite", l.nonFinite());
        m.put("sparsityBadge", badge(r.alerts(), l.layerIndex(), SPARSITY_RULES));
        m.put("gradientBadge", badge(r.alerts(), l.layerIndex(), GRADIENT_RULES));
        layers.add(m);
      }
      out.put("layers", layers);
      List<Object> diagnoses = new ArrayList<>();
      for (Diagnosis d : r.diagnoses()) {
        Map<String, Object> m = alert(d.cause());
        m.put("consequences", d.consequences().stream().map(DashboardApi::alert).toList());
        diagnoses.add(m);
      }
      out.put("diagnoses", diagnoses);
      out.put("series", series(r));
      List<Object> evals = new ArrayList<>();
      for (EvaluationRow e : view.engine().evaluations(List.of(r.runId()))) {
        evals.add(mapOf("epoch", e.epoch(), "iteration", e.iteration(), "loss", finite(e.loss()),
            "accuracy", finite(e.accuracy())));
      }
      out.put("evaluations", evals);
      return out;
    });
  }

  /** A heatmap as PNG: layer × iteration (sparsity, gradient) or one layer's neuron × iteration (firing). */
  byte[] heatmap(String runId, String metric, Integer layer, int width) {
    return dataset.read(view -> {
      RunReport r = find(view, runId);
      HeatmapData data = switch (metric) {
        case "sparsity" -> Heatmaps.sparsity(r.runId(), r.series());
        case "gradient" -> Heatmaps.gradientNorm(r.runId(), r.series());
        default -> {
          if (layer == null) {
            throw HttpError.badRequest("Parameter layer is required for metric=firing");
          }
          LayerReport l = r.layers().stream().filter(x -> x.layerIndex() == layer).findFirst()
              .orElseThrow(() -> HttpError.notFound("Run " + r.runId() + " has no layer " + layer));
          if (l.neurons() == 0) {
            throw HttpError.notFound("Layer " + layer + " of run " + r.runId() + " has no per-neuron firing rates");
          }
          yield Heatmaps.firingRate(r.runId(), l.layerIndex(), l.layerName(),
              view.engine().neuronIterations(r.runId(), l.layerIndex()));
        }
      };
      return HeatmapRenderer.png(data, width);
    });
  }

  /** One line per worker (Spark partition) of a layer's statistic over iterations. */
  Map<String, Object> workers(String runId, int layer, String metric) {
    return dataset.read(view -> {
      RunReport r = find(view, runId);
      String sql = metric.equals("zero")
          ? "SELECT partition_id, iteration, avg(zero_fraction) FROM activations WHERE run_id = ? AND layer_index = ?"
              + " GROUP BY 1, 2 ORDER BY 1, 2"
          : "SELECT partition_id, iteration, sqrt(sum(l2_norm * l2_norm)) FROM gradients WHERE run_id = ?"
              + " AND layer_index = ? GROUP BY 1, 2 ORDER BY 1, 2";
      Map<Integer, List<double[]>> lines = new TreeMap<>();
      for (Object[] row : view.log().select(sql, rs -> new Object[] {rs.getInt(1), rs.getLong(2), nullable(rs, 3)},
          r.runId(), layer)) {
        lines.computeIfAbsent((Integer) row[0], k -> new ArrayList<>())
            .add(new double[] {(Long) row[1], (Double) row[2]});
      }
      List<Object> out = new ArrayList<>();
      lines.forEach((worker, points) -> out.add(mapOf("worker", worker,
          "iterations", points.stream().mapToLong(p -> (long) p[0]).toArray(),
          "values", points.stream().map(p -> finite(p[1])).toList())));
      return mapOf("runId", r.runId(), "layer", layer, "metric", metric, "workers", out);
    });
  }

  /**
   * A layer's activation histograms over time (worker 0's, at up to {@code max} logged iterations spread over the
   * run), for the ridgeline view.
   */
  Map<String, Object> histograms(String runId, int layer, int max) {
    return dataset.read(view -> {
      RunReport r = find(view, runId);
      List<Object[]> rows = view.log().select("SELECT iteration, histogram_edges, histogram_counts FROM activations"
          + " WHERE run_id = ? AND layer_index = ? AND histogram_counts IS NOT NULL AND partition_id = (SELECT"
          + " min(partition_id) FROM activations WHERE run_id = ? AND layer_index = ?) ORDER BY iteration",
          rs -> new Object[] {rs.getLong(1), rs.getArray(2).getArray(), rs.getArray(3).getArray()},
          r.runId(), layer, r.runId(), layer);
      List<Object> out = new ArrayList<>();
      int step = Math.max(1, (rows.size() + max - 1) / max);
      for (int i = 0; i < rows.size(); i += step) {
        Object[] row = rows.get(i);
        out.add(mapOf("iteration", row[0], "edges", row[1], "counts", row[2]));
      }
      return mapOf("runId", r.runId(), "layer", layer, "histograms", out);
    });
  }

  /**
   * A layer's raw activation sample (the latest logged, of the first worker), as pictures: per example, each channel
   * of a convolution's output as an image, or a dense layer's units as a square image where their count is a square
   * (else one row of units). Each picture is scaled to its own min..max.
   */
  byte[] sample(String runId, int layer) {
    return dataset.read(view -> {
      RunReport r = find(view, runId);
      List<Object[]> rows = view.log().select("SELECT iteration, sample_shape, sample_values FROM activations"
          + " WHERE run_id = ? AND layer_index = ? AND sample_values IS NOT NULL ORDER BY iteration DESC, partition_id"
          + " LIMIT 1", rs -> new Object[] {rs.getLong(1), rs.getArray(2).getArray(), rs.getArray(3).getArray()},
          r.runId(), layer);
      if (rows.isEmpty()) {
        throw HttpError.notFound("No raw activation sample of layer " + layer + " in run " + r.runId()
            + " (the job's logging.sample.examples is 0)");
      }
      Object[] shapeObjects = (Object[]) rows.get(0)[1];
      Object[] valueObjects = (Object[]) rows.get(0)[2];
      int[] shape = new int[shapeObjects.length];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = ((Number) shapeObjects[i]).intValue();
      }
      double[] values = new double[valueObjects.length];
      for (int i = 0; i < values.length; i++) {
        values[i] = ((Number) valueObjects[i]).doubleValue();
      }
      return SamplePictures.png(shape, values, (Long) rows.get(0)[0]);
    });
  }

  /** The run id when the dataset has that run; a 404 otherwise. */
  String knownRun(String runId) {
    return dataset.read(view -> find(view, runId).runId());
  }

  private static RunReport find(LiveDataset.View view, String runId) {
    return view.report().runs().stream().filter(r -> r.runId().equals(runId)).findFirst()
        .orElseThrow(() -> HttpError.notFound("Unknown run '" + Params.abbreviate(runId) + "'"));
  }

  /** Per layer, the series the charts draw: iterations and the report's per-iteration values. */
  private static List<Object> series(RunReport r) {
    Map<Integer, List<LayerIterationRow>> byLayer = new TreeMap<>();
    r.series().forEach(row -> byLayer.computeIfAbsent(row.layerIndex(), k -> new ArrayList<>()).add(row));
    List<Object> out = new ArrayList<>();
    byLayer.forEach((layer, rows) -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("layer", layer);
      m.put("name", rows.get(0).layerName());
      m.put("iterations", rows.stream().mapToLong(LayerIterationRow::iteration).toArray());
      m.put("zero", values(rows, LayerIterationRow::zero));
      m.put("gradient", values(rows, LayerIterationRow::gradient));
      m.put("saturated", values(rows, LayerIterationRow::saturated));
      m.put("updateRatio", values(rows, LayerIterationRow::updateRatio));
      out.add(m);
    });
    return out;
  }

  private static List<Double> values(List<LayerIterationRow> rows, Function<LayerIterationRow, Stat> f) {
    return rows.stream().map(row -> finite(f.apply(row).mean())).toList();
  }

  private static String badge(List<Alert> alerts, int layer, Set<String> rules) {
    Alert.Level worst = null;
    for (Alert a : alerts) {
      if (a.layerIndex() != null && a.layerIndex() == layer && rules.contains(a.rule())
          && (worst == null || a.level().compareTo(worst) > 0)) {
        worst = a.level();
      }
    }
    return worst == null ? "ok" : worst.name().toLowerCase(java.util.Locale.ROOT);
  }

  private static Map<String, Object> alert(Alert a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("level", a.level().name());
    m.put("rule", a.rule());
    m.put("layer", a.layerIndex());
    m.put("from", a.fromIteration());
    m.put("to", a.toIteration());
    m.put("message", a.message());
    Map<String, Object> evidence = new TreeMap<>();
    a.evidence().forEach((k, v) -> evidence.put(k, finite(v)));
    m.put("evidence", evidence);
    m.put("onset", a.onset() == null ? null : a.onset().describe());
    m.put("remedies", a.remedies().stream().map(x -> x.describe()).toList());
    return m;
  }

  private static Map<String, Object> networkFromLayers(RunReport r) {
    return mapOf("layers", r.layers().size(), "parameters", null, "updater", null, "summary",
        String.join(" → ", r.layers().stream().map(l -> l.layerType()
            + (l.activationFunction() == null ? "" : "(" + l.activationFunction() + ")")).toList()));
  }

  private static Map<String, Map<String, Object>> runStarts(ActivationLog log) {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    if (log.files().files(DatasetFiles.RUNS).isEmpty()) {
      return out;
    }
    for (Object[] row : log.select("SELECT run_id, CAST(epoch(min(timestamp)) * 1000 AS BIGINT), max(workers),"
        + " max(network_total_parameters), min(network_updater), max(len(network_layers)),"
        + " string_agg(l.type || coalesce('(' || l.activation_function || ')', '') || ' ' || l.outputs, ' → ')"
        + " FROM (SELECT run_id, timestamp, workers, network_total_parameters, network_updater, network_layers,"
        + " unnest(network_layers) AS l FROM runs) GROUP BY run_id",
        rs -> new Object[] {rs.getString(1), rs.getLong(2), rs.getInt(3), rs.getLong(4), rs.getString(5), rs.getInt(6),
            rs.getString(7)})) {
      out.put((String) row[0], mapOf("startMillis", row[1], "workers", row[2], "network",
          mapOf("parameters", row[3], "updater", row[4], "layers", row[5], "summary", row[6])));
    }
    return out;
  }

  private static Map<String, Map<String, Object>> runEnds(ActivationLog log) {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    if (log.files().files(DatasetFiles.RUN_ENDS).isEmpty()) {
      return out;
    }
    for (Object[] row : log.select("SELECT run_id, max_by(status, timestamp) FROM run_ends GROUP BY run_id",
        rs -> new Object[] {rs.getString(1), rs.getString(2)})) {
      out.put((String) row[0], mapOf("status", row[1]));
    }
    return out;
  }

  private static Double nullable(ResultSet rs, int column) throws SQLException {
    double v = rs.getDouble(column);
    return rs.wasNull() ? Double.NaN : v;
  }

  /** JSON has no NaN or Infinity: null. */
  static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  static Map<String, Object> mapOf(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }
}
