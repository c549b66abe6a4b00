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

      @Override
      String element(String list, int position) {
        return list + "[" + position + "]";
      }

      @Override
      String length(String list) {
        return "len(" + list + ")";
      }
    },
    SPARK {
      @Override
      String explodeRates(String source) {
        return "SELECT run_id, layer_index, win, p.rate AS rate, p.neuron AS neuron, iteration, partition_id FROM "
            + source + " LATERAL VIEW posexplode(firing_rate) p AS neuron, rate";
      }

      @Override
      String element(String list, int position) {
        return "try_element_at(" + list + ", " + position + ")"; // NULL past the end, ANSI mode or not
      }

      @Override
      String length(String list) {
        return "size(" + list + ")";
      }
    };

    /** Rows (run_id, layer_index, win, rate, neuron (0-based), iteration, partition_id) from a relation with a firing_rate list. */
    abstract String explodeRates(String source);

    /** The list's element at a 1-based position, NULL past its end. */
    abstract String element(String list, int position);

    /** The list's length (for a non-null list). */
    abstract String length(String list);
  }

  private static String nonFinite(String kindCondition) {
    return "sum(CASE WHEN " + kindCondition + " THEN nan_count + pos_inf_count + neg_inf_count ELSE 0 END)";
  }

  /** The parameter names present (W, b, ...), to number them for the duplicate check of {@link #layerIterations}. */
  public static String parameterNames(Collection<String> runIds) {
    return "SELECT DISTINCT parameter_name FROM snapshots_all WHERE kind <> 'activation' AND parameter_name IS NOT NULL"
        + " AND run_id IN (" + inList(runIds) + ") ORDER BY parameter_name";
  }

  /**
   * One row per run, layer and bin of iterations ({@link #BINS_PER_WINDOW} per window, so a long run returns
   * a few hundred rows per layer, not one per iteration: fetching rows is not free): run_id, layer_index,
   * first epoch, first and last iteration, workers, sum and count of zero, near-zero, saturated, gradient,
   * parameter, update, update-ratio (per-iteration values, each averaged over workers), NaN/Inf per kind,
   * the first iteration with any, then a 0/1 "dirty" flag: 1 where some worker reported a snapshot identity
   * more than once at that layer and iteration (a retried task, a re-sent record). Layer names come from
   * {@link #layers} (aggregating strings per iteration costs as much as the rest).
   *
   * <p>Each kind is aggregated on its own (kinds are separate hive partitions, so each part reads only its
   * files, with a few plain aggregates instead of conditional ones), first per worker, then over workers;
   * the parts are stacked and folded per (run, layer, epoch, iteration).
   *
   * <p>Why not read the de-duplicated view: de-duplicating the whole log (a window over every row) costs
   * several times a scan, while a retry touches few runs. So the parts read {@code source = snapshots_all}
   * and detect duplicates on the way: a worker's activation group must hold one row; in a worker's group of
   * gradients (parameters, updates) each parameter name gets its own bit, and the sum of the bits equals their
   * bitwise OR exactly when no name occurs twice. Runs with a dirty group are aggregated again from the
   * de-duplicated {@code snapshots} view.
   *
   * @param parameterCodes the parameter names present; name i gets bit i. More than {@link #MAX_CODES}
   *     names: every group of more than one row is flagged dirty (the caller then reads {@code snapshots})
   */
  public static String layerIterations(Collection<Windows> windows, String source, java.util.List<String> parameterCodes) {
    String runs = inList(windows.stream().map(Windows::runId).toList());
    String code = codeExpression(parameterCodes);
    String nonFinite = "sum(nan_count + pos_inf_count + neg_inf_count)";
    StringBuilder sql = new StringBuilder("WITH act AS (\n")
        .append("  SELECT run_id, layer_index, epoch, iteration, count(*) AS workers, avg(z) AS z, avg(nz) AS nz,")
        .append(" avg(s) AS s, sum(nf) AS nf, max(n) AS n FROM (\n")
        .append("    SELECT run_id, layer_index, epoch, iteration, partition_id, max(zero_fraction) AS z,")
        .append(" max(near_zero_fraction) AS nz, max(saturated_fraction) AS s, ").append(nonFinite).append(" AS nf,")
        .append(" count(*) AS n\n")
        .append("    FROM ").append(source).append(" WHERE kind = 'activation' AND run_id IN (").append(runs)
        .append(")\n    GROUP BY run_id, layer_index, epoch, iteration, partition_id) w\n")
        .append("  GROUP BY run_id, layer_index, epoch, iteration)");
    for (String kind : java.util.List.of("gradient", "parameter", "update")) {
      sql.append(",\n").append(kind).append(" AS (\n")
          .append("  SELECT run_id, layer_index, epoch, iteration, count(*) AS workers, avg(sqrt(sq)) AS l2,")
          .append(" sum(nf) AS nf, max(CASE WHEN cs = co THEN 0 ELSE 1 END) AS dirty FROM (\n")
          .append("    SELECT run_id, layer_index, epoch, iteration, partition_id, sum(l2_norm * l2_norm) AS sq, ")
          .append(nonFinite).append(" AS nf, sum(").append(code).append(") AS cs, bit_or(").append(code)
          .append(") AS co\n    FROM ").append(source).append(" WHERE kind = '").append(kind)
          .append("' AND run_id IN (").append(runs)
          .append(")\n    GROUP BY run_id, layer_index, epoch, iteration, partition_id) w\n")
          .append("  GROUP BY run_id, layer_index, epoch, iteration)");
    }
    String n = "CAST(NULL AS DOUBLE)";
    String zero = "CAST(0 AS BIGINT)";
    sql.append(",\nparts AS (\n")
        .append("  SELECT run_id, layer_index, epoch, iteration, workers, z, nz, s, ").append(n).append(" AS g, ")
        .append(n).append(" AS p, ").append(n).append(" AS u, CAST(nf AS BIGINT) AS anf, ").append(zero)
        .append(" AS gnf, ").append(zero).append(" AS pnf, CASE WHEN n > 1 THEN 1 ELSE 0 END AS dirty FROM act\n")
        .append("  UNION ALL SELECT run_id, layer_index, epoch, iteration, workers, ").append(n).append(", ")
        .append(n).append(", ").append(n).append(", l2, ").append(n).append(", ").append(n).append(", ")
        .append(zero).append(", CAST(nf AS BIGINT), ").append(zero).append(", dirty FROM gradient\n")
        .append("  UNION ALL SELECT run_id, layer_index, epoch, iteration, workers, ").append(n).append(", ")
        .append(n).append(", ").append(n).append(", ").append(n).append(", l2, ").append(n).append(", ")
        .append(zero).append(", ").append(zero).append(", CAST(nf AS BIGINT), dirty FROM parameter\n")
        .append("  UNION ALL SELECT run_id, layer_index, epoch, iteration, workers, ").append(n).append(", ")
        .append(n).append(", ").append(n).append(", ").append(n).append(", ").append(n).append(", l2, ")
        .append(zero).append(", ").append(zero).append(", CAST(nf AS BIGINT), dirty FROM update)\n")
        .append(",\nit AS (\n")
        .append("  SELECT run_id, layer_index, epoch, iteration, max(workers) AS workers, max(z) AS z, max(nz) AS nz,")
        .append(" max(s) AS s, max(g) AS g, max(p) AS p, max(u) AS u,\n")
        .append("    CASE WHEN max(u) > 0 AND max(p) > 0 THEN log10(max(u) / max(p)) END AS r,\n")
        .append("    sum(anf) AS anf, sum(gnf) AS gnf, sum(pnf) AS pnf, max(dirty) AS dirty\n")
        .append("  FROM parts GROUP BY run_id, layer_index, epoch, iteration)\n")
        .append("SELECT run_id, layer_index, min(epoch), min(iteration), max(iteration), CAST(max(workers) AS INT),\n")
        .append("  sum(z), count(z), sum(nz), count(nz), sum(s), count(s), sum(g), count(g), sum(p), count(p),")
        .append(" sum(u), count(u), sum(r), count(r),\n")
        .append("  CAST(sum(anf) AS BIGINT), CAST(sum(gnf) AS BIGINT), CAST(sum(pnf) AS BIGINT),\n")
        .append("  min(CASE WHEN anf + gnf + pnf > 0 THEN iteration END), CAST(max(dirty) AS INT)\n")
        .append("FROM it GROUP BY run_id, layer_index, ").append(binExpression(windows));
    return sql.toString();
  }

  /** Bins per window of iterations: series and charts get at most windows x this many points per layer. */
  public static final int BINS_PER_WINDOW = 40;

  /** Iteration range per run (columns run_id, first, last), to cut windows before aggregating. */
  public static String iterationRanges(Collection<String> runIds) {
    return "SELECT run_id, min(iteration), max(iteration) FROM snapshots_all WHERE run_id IN (" + inList(runIds)
        + ") GROUP BY run_id";
  }

  /** The bin of an iteration: window * BINS_PER_WINDOW + position of its sub-bin inside the window. */
  static String binExpression(Collection<Windows> windows) {
    StringBuilder sb = new StringBuilder("CASE run_id");
    for (Windows w : windows) {
      long sub = Math.max(1, (w.width() + BINS_PER_WINDOW - 1) / BINS_PER_WINDOW);
      String offset = "(iteration - " + w.firstIteration() + ")";
      String window = "CAST(floor(" + offset + " / " + w.width() + ".0) AS BIGINT)";
      sb.append(" WHEN ").append(literal(w.runId())).append(" THEN ").append(window).append(" * ")
          .append(BINS_PER_WINDOW).append(" + CAST(floor((").append(offset).append(" - ").append(window)
          .append(" * ").append(w.width()).append(") / ").append(sub).append(".0) AS BIGINT)");
    }
    return sb.append(" END").toString();
  }

  /** Bits are summed per group; 40 bits keep any realistic group's sum far from overflowing a BIGINT. */
  public static final int MAX_CODES = 40;

  static String codeExpression(java.util.List<String> names) {
    if (names.size() > MAX_CODES) {
      return "CAST(1 AS BIGINT)"; // sum = count > 1 = bit_or: every multi-row group counts as dirty
    }
    if (names.isEmpty()) {
      return "CAST(0 AS BIGINT)";
    }
    StringBuilder sb = new StringBuilder("CASE parameter_name");
    for (int i = 0; i < names.size(); i++) {
      sb.append(" WHEN ").append(literal(names.get(i))).append(" THEN CAST(").append(1L << i).append(" AS BIGINT)");
    }
    return sb.append(" ELSE CAST(0 AS BIGINT) END").toString();
  }

  /** Per run and layer: name, type and activation function (columns: run_id, layer_index, name, type, activation). */
  public static String layers(Collection<String> runIds) {
    return "SELECT run_id, layer_index, min(layer_name), min(layer_type), max(activation_function) FROM snapshots_all"
        + " WHERE run_id IN (" + inList(runIds) + ") GROUP BY run_id, layer_index";
  }

  /** The longest firing-rate list (for engines that cannot read it from Parquet footers). */
  public static String maxUnits(Dialect dialect, Collection<String> runIds) {
    return "SELECT max(" + dialect.length("firing_rate") + ") FROM snapshots_all WHERE kind = 'activation' AND run_id IN ("
        + inList(runIds) + ")";
  }

  /**
   * Firing-rate lists up to this long are aggregated by position ({@link #neuronWindowsByPosition}); longer
   * ones are exploded into a row per unit ({@link #neuronWindows}). By position, each snapshot costs a few
   * aggregate updates per unit in a handful of groups; exploded, each unit becomes a row hashed into a group
   * per (run, layer, window, unit), which cost ~1.6x as much on 32-unit layers. Past this width the many
   * aggregate columns of the positional query stop paying.
   */
  public static final int MAX_POSITIONAL_UNITS = 128;

  /**
   * The per-unit statistics of {@link #neuronWindows} without exploding the lists: one row per run, layer,
   * window and list length, with columns run_id, layer_index, win, length, snapshots, then for each position
   * k = 1..{@code width}: max and sum of the rates at k. Unit k-1 of a window was seen by the snapshots of
   * every length &ge; k (so counts are summed over lengths by the caller, as unnest counted them).
   *
   * @param layers per run, the layers to read; null: every layer of the windows' runs
   */
  public static String neuronWindowsByPosition(Dialect dialect, Collection<Windows> windows,
      java.util.Map<String, ? extends Collection<Integer>> layers, int width, boolean deduplicate) {
    StringBuilder sql = new StringBuilder("SELECT run_id, layer_index, win, n, count(*)");
    for (int k = 1; k <= width; k++) {
      String rate = dialect.element("firing_rate", k);
      sql.append(", max(").append(rate).append("), sum(CAST(").append(rate).append(" AS DOUBLE))");
    }
    return sql.append(" FROM (SELECT run_id, layer_index, firing_rate, ").append(dialect.length("firing_rate"))
        .append(" AS n, ").append(windowExpression(windows)).append(" AS win FROM ")
        .append(deduplicate ? "activations WHERE" : "snapshots_all WHERE kind = 'activation' AND")
        .append(" firing_rate IS NOT NULL AND ").append(runAndLayerFilter(windows, layers))
        .append(") a GROUP BY run_id, layer_index, win, n").toString();
  }

  /** The windows' runs, and of them only the given layers unless {@code layers} is null. */
  static String runAndLayerFilter(Collection<Windows> windows,
      java.util.Map<String, ? extends Collection<Integer>> layers) {
    String runs = "run_id IN (" + inList(windows.stream().map(Windows::runId).toList()) + ")";
    if (layers == null) {
      return runs;
    }
    // a CASE, which both engines evaluate alike
    StringBuilder sb = new StringBuilder(runs).append(" AND CASE run_id");
    layers.forEach((run, indexes) -> sb.append(" WHEN ").append(literal(run)).append(" THEN layer_index IN (")
        .append(indexes.isEmpty() ? "-1" : indexes.stream().map(String::valueOf).collect(Collectors.joining(", ")))
        .append(")"));
    return sb.append(" ELSE false END").toString();
  }

  /**
   * Columns in {@link NeuronWindowRow} order, one row per unit (the lists exploded), for the given layers of
   * each run (null: every layer).
   */
  public static String neuronWindows(Dialect dialect, Collection<Windows> windows,
      java.util.Map<String, ? extends Collection<Integer>> layers, boolean deduplicate) {
    String source = "(SELECT run_id, layer_index, iteration, partition_id, firing_rate, " + windowExpression(windows)
        + " AS win FROM " + (deduplicate ? "activations WHERE" : "snapshots_all WHERE kind = 'activation' AND")
        + " firing_rate IS NOT NULL AND " + runAndLayerFilter(windows, layers) + ") a";
    return "SELECT run_id, layer_index, win, CAST(neuron AS INT), max(rate), sum(CAST(rate AS DOUBLE)), count(*) FROM ("
        + dialect.explodeRates(source) + ") n GROUP BY run_id, layer_index, win, neuron "
        + "ORDER BY run_id, layer_index, win, neuron";
  }

  /**
   * Columns in {@link NeuronIterationRow} order: the mean firing rate per neuron over bins of {@code width}
   * iterations starting at {@code first} (a bin is labelled with its first iteration that has data).
   */
  public static String neuronIterations(Dialect dialect, String runId, int layerIndex, boolean deduplicate, long first,
      long width) {
    String source = "(SELECT run_id, layer_index, iteration, partition_id, firing_rate, CAST(floor((iteration - " + first
        + ") / " + width + ".0) AS BIGINT) AS win FROM "
        + (deduplicate ? "activations WHERE" : "snapshots_all WHERE kind = 'activation' AND")
        + " firing_rate IS NOT NULL AND run_id = " + literal(runId) + " AND layer_index = " + layerIndex + ") a";
    return "SELECT min(iteration), CAST(neuron AS INT), avg(CAST(rate AS DOUBLE)) FROM (" + dialect.explodeRates(source)
        + ") n GROUP BY win, neuron ORDER BY 1, 2";
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
