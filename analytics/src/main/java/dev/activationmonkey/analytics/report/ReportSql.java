package dev.activationmonkey.analytics.report;

import java.util.Collection;
import java.util.stream.Collectors;

/**
 * The report's SQL, one text for both engines over the views {@code snapshots} / {@code activations}
 * (de-duplicated). Where DuckDB and Spark SQL spell a thing differently (exploding a list with its
 * positions), {@link Dialect} supplies the fragment.
 */
public final class ReportSql {
  private ReportSql() {}

  public enum Dialect {
    DUCKDB {
      @Override
      String explodeRates(String source) {
        return "SELECT run_id, layer_index, win, unnest(firing_rate) AS rate, "
            + "generate_subscripts(firing_rate, 1) - 1 AS neuron, iteration, partition_id FROM " + source;
      }
    },
    SPARK {
      @Override
      String explodeRates(String source) {
        return "SELECT run_id, layer_index, win, p.rate AS rate, p.neuron AS neuron, iteration, partition_id FROM "
            + source + " LATERAL VIEW posexplode(firing_rate) p AS neuron, rate";
      }
    };

    /** Rows (run_id, layer_index, win, rate, neuron (0-based), iteration, partition_id) from a relation with a firing_rate list. */
    abstract String explodeRates(String source);
  }

  private static String nonFinite(String kindCondition) {
    return "sum(CASE WHEN " + kindCondition + " THEN nan_count + pos_inf_count + neg_inf_count ELSE 0 END)";
  }

  /**
   * The (kind, parameter_name) pairs present, to number them for the duplicate check of
   * {@link #layerIterations}.
   */
  public static String kindParameters(Collection<String> runIds) {
    return "SELECT DISTINCT kind, parameter_name FROM snapshots_all WHERE run_id IN (" + inList(runIds)
        + ") ORDER BY kind, parameter_name";
  }

  /**
   * Columns in {@link LayerIterationRow} order less the layer's name, type and activation (see
   * {@link #layers}: aggregating strings per iteration costs as much as the rest), then a 0/1 "dirty" flag: 1 where some worker reported a
   * snapshot identity more than once at that layer and iteration (a retried task, a re-sent record).
   *
   * <p>Why: de-duplicating the whole log (a window over every row) costs several times a scan, while a
   * retry touches few runs. So the report aggregates {@code source = snapshots_all} directly and detects
   * duplicates on the way: each (kind, parameter) pair gets its own bit, and within a (worker, layer,
   * iteration) group the sum of the bits equals their bitwise OR exactly when no pair occurs twice. Runs
   * with a dirty group are aggregated again from the de-duplicated {@code snapshots} view.
   *
   * @param codes (kind, parameter_name) pairs; pair i gets bit i. More than {@link #MAX_CODES} pairs: every
   *     group is flagged dirty (the caller then reads {@code snapshots})
   */
  public static String layerIterations(Collection<String> runIds, String source, java.util.List<String[]> codes) {
    return """
        WITH per_worker AS (
          SELECT run_id, layer_index, epoch, iteration, partition_id,
            max(CASE WHEN kind = 'activation' THEN zero_fraction END) AS zero_fraction,
            max(CASE WHEN kind = 'activation' THEN near_zero_fraction END) AS near_zero_fraction,
            max(CASE WHEN kind = 'activation' THEN saturated_fraction END) AS saturated_fraction,
            sqrt(sum(CASE WHEN kind = 'gradient' THEN l2_norm * l2_norm END)) AS gradient_l2,
            sqrt(sum(CASE WHEN kind = 'parameter' THEN l2_norm * l2_norm END)) AS parameter_l2,
            sqrt(sum(CASE WHEN kind = 'update' THEN l2_norm * l2_norm END)) AS update_l2,
            %s AS activation_non_finite,
            %s AS gradient_non_finite,
            %s AS parameter_non_finite,
            CASE WHEN sum(%s) = bit_or(%<s) THEN 0 ELSE 1 END AS dirty
          FROM %s
          WHERE run_id IN (%s)
          GROUP BY run_id, layer_index, epoch, iteration, partition_id
        )
        SELECT run_id, layer_index, epoch, iteration,
          CAST(count(*) AS INT),
          avg(zero_fraction), avg(near_zero_fraction), avg(saturated_fraction),
          avg(gradient_l2), avg(parameter_l2), avg(update_l2),
          avg(CASE WHEN update_l2 > 0 AND parameter_l2 > 0 THEN log10(update_l2 / parameter_l2) END),
          CAST(sum(activation_non_finite) AS BIGINT), CAST(sum(gradient_non_finite) AS BIGINT),
          CAST(sum(parameter_non_finite) AS BIGINT), CAST(max(dirty) AS INT)
        FROM per_worker
        GROUP BY run_id, layer_index, epoch, iteration
        ORDER BY run_id, layer_index, iteration, epoch
        """.formatted(nonFinite("kind = 'activation'"), nonFinite("kind = 'gradient'"),
            nonFinite("kind IN ('parameter', 'update')"), codeExpression(codes), source, inList(runIds));
  }

  /** Per run and layer: name, type and activation function (columns: run_id, layer_index, name, type, activation). */
  public static String layers(Collection<String> runIds) {
    return "SELECT run_id, layer_index, min(layer_name), min(layer_type), max(activation_function) FROM snapshots_all"
        + " WHERE run_id IN (" + inList(runIds) + ") GROUP BY run_id, layer_index";
  }

  /** Bits are summed per group; 40 bits keep any realistic group's sum far from overflowing a BIGINT. */
  public static final int MAX_CODES = 40;

  static String codeExpression(java.util.List<String[]> codes) {
    if (codes.size() > MAX_CODES) {
      return "CAST(1 AS BIGINT)"; // sum = count > 1 = bit_or: every multi-row group counts as dirty
    }
    if (codes.isEmpty()) {
      return "CAST(0 AS BIGINT)";
    }
    StringBuilder sb = new StringBuilder("CASE");
    for (int i = 0; i < codes.size(); i++) {
      String kind = codes.get(i)[0];
      String parameter = codes.get(i)[1];
      sb.append(" WHEN kind = ").append(literal(kind)).append(" AND ")
          .append(parameter == null ? "parameter_name IS NULL" : "parameter_name = " + literal(parameter))
          .append(" THEN CAST(").append(1L << i).append(" AS BIGINT)");
    }
    return sb.append(" ELSE CAST(0 AS BIGINT) END").toString();
  }

  /** Columns in {@link NeuronWindowRow} order. */
  public static String neuronWindows(Dialect dialect, Collection<Windows> windows, boolean deduplicate) {
    String source = "(SELECT run_id, layer_index, iteration, partition_id, firing_rate, " + windowExpression(windows)
        + " AS win FROM " + (deduplicate ? "activations WHERE" : "snapshots_all WHERE kind = 'activation' AND")
        + " firing_rate IS NOT NULL AND run_id IN ("
        + inList(windows.stream().map(Windows::runId).toList()) + ")) a";
    return "SELECT run_id, layer_index, win, CAST(neuron AS INT), max(rate), sum(CAST(rate AS DOUBLE)), count(*) FROM ("
        + dialect.explodeRates(source) + ") n GROUP BY run_id, layer_index, win, neuron "
        + "ORDER BY run_id, layer_index, win, neuron";
  }

  /** Columns in {@link NeuronIterationRow} order. */
  public static String neuronIterations(Dialect dialect, String runId, int layerIndex) {
    String source = "(SELECT run_id, layer_index, iteration, partition_id, firing_rate, 0 AS win FROM activations "
        + "WHERE firing_rate IS NOT NULL AND run_id = " + literal(runId) + " AND layer_index = " + layerIndex + ") a";
    return "SELECT iteration, CAST(neuron AS INT), avg(CAST(rate AS DOUBLE)) FROM (" + dialect.explodeRates(source)
        + ") n GROUP BY iteration, neuron ORDER BY iteration, neuron";
  }

  public static String finalAccuracy(Collection<String> runIds) {
    return "SELECT run_id, max_by(accuracy, epoch) FROM evaluations WHERE run_id IN (" + inList(runIds)
        + ") GROUP BY run_id";
  }

  /** The window number of an iteration, per run (a CASE, so both engines evaluate it alike without a join). */
  static String windowExpression(Collection<Windows> windows) {
    StringBuilder sb = new StringBuilder("CASE run_id");
    for (Windows w : windows) {
      sb.append(" WHEN ").append(literal(w.runId())).append(" THEN CAST(floor((iteration - ")
          .append(w.firstIteration()).append(") / ").append(w.width()).append(".0) AS INT)");
    }
    return sb.append(" END").toString();
  }

  static String inList(Collection<String> values) {
    if (values.isEmpty()) {
      return "NULL";
    }
    return values.stream().map(ReportSql::literal).collect(Collectors.joining(", "));
  }

  static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }
}
