package dev.activationmonkey.analytics.report;

import java.util.Collection;
import java.util.stream.Collectors;

/**
 * The report's SQL, one text for both engines over the views {@code snapshots} / {@code activations}
 * (de-duplicated). Where DuckDB and Spark SQL spell a thing differently (exploding a list with its
 * positions), {@link Dialect} supplies the fragment.
 *
 * <p>Each query selects its result columns {@code AS} the labels of its contract, the {@link ResultColumn}
 * enum nested in its row record (named in each method's javadoc), and {@link SqlReportEngine} reads the rows by
 * those labels.
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

      @Override
      String div(String dividend, long divisor) {
        return "(" + dividend + " // " + divisor + ")";
      }

      @Override
      String epochMillis(String column) {
        return "epoch_ms(\"" + column + "\")";
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

      @Override
      String div(String dividend, long divisor) {
        return "(" + dividend + " div " + divisor + ")";
      }

      @Override
      String epochMillis(String column) {
        return "unix_millis(CAST(`" + column + "` AS TIMESTAMP))"; // TIMESTAMP_NTZ too (files not UTC-adjusted)
      }
    };

    /** Rows (run_id, layer_index, win, rate, neuron (0-based), iteration, partition_id) from a relation with a firing_rate list. */
    abstract String explodeRates(String source);

    /** The list's element at a 1-based position, NULL past its end. */
    abstract String element(String list, int position);

    /** The list's length (for a non-null list). */
    abstract String length(String list);

    /** Integer division of a non-negative BIGINT by a positive constant. */
    abstract String div(String dividend, long divisor);

    /** A timestamp column (whose name may be a keyword) as milliseconds since the epoch, a BIGINT. */
    abstract String epochMillis(String column);
  }

  /** The runs in the log, in order (one column, {@link ScalarColumn#RUN_ID}). */
  public static String runIds() {
    return "SELECT DISTINCT " + ScalarColumn.RUN_ID.label() + " FROM snapshots_all ORDER BY run_id";
  }

  /**
   * The parameter names present (W, b, ...), to number them for the duplicate check of {@link #layerIterations}
   * (one column, {@link ScalarColumn#PARAMETER_NAME}).
   */
  public static String parameterNames(Collection<String> runIds) {
    return "SELECT DISTINCT " + ScalarColumn.PARAMETER_NAME.label() + " FROM snapshots_all WHERE kind <> 'activation' AND parameter_name IS NOT NULL"
        + " AND run_id IN (" + inList(runIds) + ") ORDER BY parameter_name";
  }

  /**
   * One row per run, layer and bin of iterations ({@link #BINS_PER_WINDOW} per window, so a long run returns
   * a few hundred rows per layer, not one per iteration: fetching rows is not free), columns
   * {@link LayerBinRow.Column}: run_id, layer_index, first epoch, first and last iteration, workers, sum and
   * count of zero, near-zero, saturated, gradient, parameter, update, update-ratio (per-iteration values, each
   * averaged over workers), NaN/Inf per kind, the first iteration with any, then a 0/1 "dirty" flag: 1 where
   * some worker reported a snapshot identity more than once at that layer and iteration (a retried task, a
   * re-sent record). Layer names come from {@link #layers}.
   *
   * <p>Where the time goes: the per-(worker, layer, iteration) hash aggregations (a million groups on the
   * benchmark's log); everything after works on a few hundred thousand per-iteration rows. So: each kind is
   * aggregated on its own (kinds are separate hive partitions: each part reads only its files, with a few
   * plain aggregates, not conditional ones); the group key is one BIGINT packing (run, epoch, iteration,
   * layer, worker) when {@code keys} allows it (hashing and comparing one integer instead of five columns,
   * one of them a string, halved those aggregations); each part is folded per iteration and then straight
   * into bins, and only parameters and updates meet per iteration (their norms' ratio), by a join; the bins
   * of the parts are stacked and folded at the end (a few thousand rows).
   *
   * <p>Why not read the de-duplicated view: de-duplicating the whole log (a window over every row) costs
   * several times a scan, while a retry touches few runs. So the parts read {@code source = snapshots_all}
   * and detect duplicates on the way: a worker's activation group must hold one row; in a worker's group of
   * gradients (parameters, updates) each parameter name (and NULL) gets its own bit, and the group holds as
   * many rows as its OR has bits exactly when no name occurs twice. Runs with a dirty group are aggregated
   * again from the de-duplicated {@code snapshots} view. (More than {@link #MAX_CODES} names share bits: a
   * group holding two of them looks dirty, which costs the slower path, never a wrong number.)
   *
   * @param parameterCodes the parameter names present; name i gets bit i mod {@link #MAX_CODES}
   * @param keys how to pack the group keys, or null to group by the plain columns
   * @param nonFinite whether NaN/Inf counts are read; false when the caller knows they are all 0 (from
   *     Parquet statistics), and then the NaN/Inf columns are 0
   */
  public static String layerIterations(Dialect dialect, Collection<Windows> windows, String source,
      java.util.List<String> parameterCodes, KeySpace keys, boolean nonFinite) {
    String runs = inList(windows.stream().map(Windows::runId).toList());
    String code = codeExpression(parameterCodes);
    String nf = nonFinite ? "sum(nan_count + pos_inf_count + neg_inf_count)" : "CAST(0 AS BIGINT)";
    // Worker level: the group columns; iteration level: its key from a worker row; decoded (run, layer, epoch, iteration)
    String workerKey;
    String workerGroup;
    String iterationKey;
    String iterationGroup;
    String decoded;
    String join;
    if (keys != null) {
      workerKey = keys.workerKey(windows) + " AS wk";
      workerGroup = "wk";
      iterationKey = dialect.div("wk", keys.workers()) + " AS ik";
      iterationGroup = "ik";
      decoded = keys.decode(dialect, "ik") + ", ";
      join = "p.ik = u.ik";
    } else {
      workerKey = "run_id, layer_index, epoch, iteration, partition_id";
      workerGroup = workerKey;
      iterationKey = "run_id, layer_index, epoch, iteration";
      iterationGroup = iterationKey;
      decoded = "run_id AS run, layer_index, epoch, iteration, ";
      join = "p.run_id = u.run_id AND p.layer_index = u.layer_index AND p.epoch = u.epoch AND p.iteration = u.iteration";
    }
    String filter = " AND run_id IN (" + runs + ")";
    StringBuilder sql = new StringBuilder("WITH ");
    if (keys != null && keys.workers() <= MAX_WORKER_BITS) {
      // Few workers: each gets a bit, and an iteration's group holds one row per worker exactly when it holds as
      // many rows as its OR has bits; so activations (one row per worker) need no per-worker level at all.
      sql.append("act AS (\n  SELECT ").append(decoded).append("workers, z, nz, s, nf, dirty FROM (SELECT ")
          .append(dialect.div(keys.workerKey(windows), keys.workers())).append(" AS ik, count(*) AS workers,")
          .append(" avg(zero_fraction) AS z, avg(near_zero_fraction) AS nz, avg(saturated_fraction) AS s, coalesce(")
          .append(nf).append(", 0) AS nf, CASE WHEN count(*) = bit_count(bit_or(").append(keys.workerBit())
          .append(")) THEN 0 ELSE 1 END AS dirty\n  FROM ").append(source).append(" WHERE kind = 'activation'")
          .append(filter).append(" GROUP BY ").append(dialect.div(keys.workerKey(windows), keys.workers()))
          .append(") a)");
    } else {
      sql.append("act_w AS (\n")
          .append("  SELECT ").append(workerKey).append(", max(zero_fraction) AS z, max(near_zero_fraction) AS nz,")
          .append(" max(saturated_fraction) AS s, count(*) AS n, ").append(nf).append(" AS nf\n  FROM ").append(source)
          .append(" WHERE kind = 'activation'").append(filter).append(" GROUP BY ").append(workerGroup).append("),\n")
          .append("act AS (\n  SELECT ").append(decoded).append("workers, z, nz, s, nf, dirty FROM (SELECT ")
          .append(iterationKey).append(", count(*) AS workers, avg(z) AS z, avg(nz) AS nz, avg(s) AS s,")
          .append(" coalesce(sum(nf), 0) AS nf, max(CASE WHEN n > 1 THEN 1 ELSE 0 END) AS dirty FROM act_w GROUP BY ")
          .append(iterationGroup).append(") a)");
    }
    for (String kind : java.util.List.of("gradient", "parameter", "update")) {
      sql.append(",\n").append(kind).append("_w AS (\n")
          .append("  SELECT ").append(workerKey).append(", sum(l2_norm * l2_norm) AS sq, count(*) AS n, bit_or(")
          .append(code).append(") AS co, ").append(nf).append(" AS nf\n  FROM ").append(source)
          .append(" WHERE kind = '").append(kind).append("'").append(filter).append(" GROUP BY ").append(workerGroup)
          .append("),\n").append(kind).append("_i AS (\n  SELECT ").append(iterationKey)
          .append(", count(*) AS workers, avg(sqrt(sq)) AS l2, coalesce(sum(nf), 0) AS nf,")
          .append(" max(CASE WHEN n = bit_count(co) THEN 0 ELSE 1 END) AS dirty FROM ").append(kind).append("_w GROUP BY ")
          .append(iterationGroup).append(")");
    }
    String pu = keys != null ? "coalesce(p.ik, u.ik) AS ik" : "coalesce(p.run_id, u.run_id) AS run_id, "
        + "coalesce(p.layer_index, u.layer_index) AS layer_index, coalesce(p.epoch, u.epoch) AS epoch, "
        + "coalesce(p.iteration, u.iteration) AS iteration";
    sql.append(",\ngrad AS (\n  SELECT ").append(decoded).append("workers, l2, nf, dirty FROM gradient_i g)")
        .append(",\npu AS (\n  SELECT ").append(decoded).append("workers, p, u, nf, dirty FROM (SELECT ").append(pu)
        .append(", greatest(coalesce(p.workers, 0), coalesce(u.workers, 0)) AS workers, p.l2 AS p, u.l2 AS u,")
        .append(" coalesce(p.nf, 0) + coalesce(u.nf, 0) AS nf,")
        .append(" greatest(coalesce(p.dirty, 0), coalesce(u.dirty, 0)) AS dirty")
        .append(" FROM parameter_i p FULL OUTER JOIN update_i u ON ").append(join).append(") j)");
    String bin = binExpression(dialect, windows, keys != null);
    String none = "CAST(NULL AS DOUBLE)";
    String zero = "CAST(0 AS BIGINT)";
    String firstNonFinite = "min(CASE WHEN nf > 0 THEN iteration END)";
    java.util.List<String> act = new java.util.ArrayList<>(java.util.List.of("sum(z)", "count(z)", "sum(nz)", "count(nz)",
        "sum(s)", "count(s)"));
    java.util.List<String> grad = new java.util.ArrayList<>(java.util.List.of(none, zero, none, zero, none, zero,
        "sum(l2)", "count(l2)"));
    java.util.List<String> params = new java.util.ArrayList<>(java.util.List.of(none, zero, none, zero, none, zero, none,
        zero, "sum(p)", "count(p)", "sum(u)", "count(u)", "sum(CASE WHEN u > 0 AND p > 0 THEN log10(u / p) END)",
        "count(CASE WHEN u > 0 AND p > 0 THEN 1 END)", zero, zero, "sum(nf)", firstNonFinite));
    for (int i = 0; i < 4; i++) {
      act.addAll(java.util.List.of(none, zero));
    }
    act.addAll(java.util.List.of("sum(nf)", zero, zero, firstNonFinite));
    for (int i = 0; i < 3; i++) {
      grad.addAll(java.util.List.of(none, zero));
    }
    grad.addAll(java.util.List.of(zero, "sum(nf)", zero, firstNonFinite));
    sql.append(",\nbins AS (\n").append(binBranch(act, true, bin, "act")).append("\n  UNION ALL\n")
        .append(binBranch(grad, false, bin, "grad")).append("\n  UNION ALL\n")
        .append(binBranch(params, false, bin, "pu")).append(")\n");
    String runId = keys != null ? keys.runIdOf("run") : "run";
    // c0..c13 are the bins' sum/count pairs, in the order of the lists above
    String columns = selectList(LayerBinRow.Column.class, c -> switch (c) {
      case RUN_ID -> runId;
      case LAYER_INDEX -> "layer_index";
      case EPOCH -> "min(e)";
      case FIRST_ITERATION -> "min(i0)";
      case LAST_ITERATION -> "max(i1)";
      case WORKERS -> "CAST(max(w) AS INT)";
      case ZERO_SUM -> "sum(c0)";
      case ZERO_COUNT -> "CAST(sum(c1) AS BIGINT)";
      case NEAR_ZERO_SUM -> "sum(c2)";
      case NEAR_ZERO_COUNT -> "CAST(sum(c3) AS BIGINT)";
      case SATURATED_SUM -> "sum(c4)";
      case SATURATED_COUNT -> "CAST(sum(c5) AS BIGINT)";
      case GRADIENT_SUM -> "sum(c6)";
      case GRADIENT_COUNT -> "CAST(sum(c7) AS BIGINT)";
      case PARAMETER_SUM -> "sum(c8)";
      case PARAMETER_COUNT -> "CAST(sum(c9) AS BIGINT)";
      case UPDATE_SUM -> "sum(c10)";
      case UPDATE_COUNT -> "CAST(sum(c11) AS BIGINT)";
      case UPDATE_RATIO_SUM -> "sum(c12)";
      case UPDATE_RATIO_COUNT -> "CAST(sum(c13) AS BIGINT)";
      case ACTIVATION_NON_FINITE -> "CAST(sum(anf) AS BIGINT)";
      case GRADIENT_NON_FINITE -> "CAST(sum(gnf) AS BIGINT)";
      case PARAMETER_NON_FINITE -> "CAST(sum(pnf) AS BIGINT)";
      case FIRST_NON_FINITE_ITERATION -> "min(fnf)";
      case DIRTY -> "CAST(max(dirty) AS INT)";
    });
    return sql.append("SELECT ").append(columns).append("\nFROM bins GROUP BY run, layer_index, bin").toString();
  }

  /**
   * The select list of a query's columns: each column's expression {@code AS} its label, or the bare column where
   * the expression is the column of that name. The expressions come from a switch over the enum, so a column
   * added to a contract without an expression does not compile.
   */
  static <C extends Enum<C> & ResultColumn> String selectList(Class<C> columns, java.util.function.Function<C, String> expression) {
    StringBuilder sb = new StringBuilder();
    for (C column : columns.getEnumConstants()) {
      String e = expression.apply(column);
      sb.append(sb.length() == 0 ? "" : ", ").append(e.equals(column.label()) ? e : e + " AS " + column.label());
    }
    return sb.toString();
  }

  /** Column names of the bins' UNION (taken from its first branch). */
  private static final java.util.List<String> BIN_COLUMNS = binColumns();

  private static java.util.List<String> binColumns() {
    java.util.List<String> names = new java.util.ArrayList<>();
    for (int i = 0; i < 14; i++) {
      names.add("c" + i);
    }
    names.addAll(java.util.List.of("anf", "gnf", "pnf", "fnf"));
    return names;
  }

  private static String binBranch(java.util.List<String> values, boolean named, String bin, String from) {
    StringBuilder sb = new StringBuilder("  SELECT run, layer_index, ").append(bin)
        .append(" AS bin, min(epoch) AS e, min(iteration) AS i0, max(iteration) AS i1, max(workers) AS w");
    for (int i = 0; i < values.size(); i++) {
      sb.append(", ").append(values.get(i)).append(named ? " AS " + BIN_COLUMNS.get(i) : "");
    }
    return sb.append(", max(dirty) AS dirty FROM ").append(from).append(" GROUP BY run, layer_index, ").append(bin)
        .toString();
  }

  /** Up to this many workers (partition ids), each gets a bit of a BIGINT in the activations' duplicate check. */
  public static final int MAX_WORKER_BITS = 62;

  /** Bins per window of iterations: series and charts get at most windows x this many points per layer. */
  public static final int BINS_PER_WINDOW = 40;

  /**
   * Per run ({@link IterationRangeRow.Column}): run_id, first and last iteration (to cut windows before
   * aggregating), then the ranges of epoch, layer_index and partition_id and the number of NULLs among those four
   * columns (to pack group keys, see {@link KeySpace}).
   */
  public static String iterationRanges(Collection<String> runIds) {
    return "SELECT " + selectList(IterationRangeRow.Column.class, c -> switch (c) {
      case RUN_ID -> "run_id";
      case FIRST_ITERATION -> "min(iteration)";
      case LAST_ITERATION -> "max(iteration)";
      case FIRST_EPOCH -> "min(epoch)";
      case LAST_EPOCH -> "max(epoch)";
      case FIRST_LAYER -> "min(layer_index)";
      case LAST_LAYER -> "max(layer_index)";
      case FIRST_WORKER -> "min(partition_id)";
      case LAST_WORKER -> "max(partition_id)";
      case KEY_NULLS -> "4 * count(*) - count(iteration) - count(epoch) - count(layer_index) - count(partition_id)";
    }) + " FROM snapshots_all WHERE run_id IN (" + inList(runIds) + ") GROUP BY run_id";
  }

  /**
   * The bin of an iteration: window * BINS_PER_WINDOW + position of its sub-bin inside the window, over the
   * columns {@code run} (the run's index in {@code windows} when {@code byIndex}, else its id) and {@code iteration}.
   */
  static String binExpression(Dialect dialect, Collection<Windows> windows, boolean byIndex) {
    StringBuilder sb = new StringBuilder("CASE run");
    int index = 0;
    for (Windows w : windows) {
      long sub = Math.max(1, (w.width() + BINS_PER_WINDOW - 1) / BINS_PER_WINDOW);
      String offset = "(iteration - " + w.firstIteration() + ")";
      String window = dialect.div(offset, w.width());
      sb.append(" WHEN ").append(byIndex ? Integer.toString(index) : literal(w.runId())).append(" THEN ").append(window)
          .append(" * ").append(BINS_PER_WINDOW).append(" + ")
          .append(dialect.div("(" + offset + " - " + window + " * " + w.width() + ")", sub));
      index++;
    }
    return sb.append(" END").toString();
  }

  /**
   * Bits of the duplicate check: parameter name i (and NULL, after the names) sets bit i mod this. Groups
   * are summed nowhere, so any bit below 62 would do; 40 keeps the literals short.
   */
  public static final int MAX_CODES = 40;

  static String codeExpression(java.util.List<String> names) {
    if (names.isEmpty()) {
      // No named parameter rows at all (a log of activations only, or NULL names only): every row is "NULL".
      // CASE needs at least one WHEN in both engines' grammars.
      return "CAST(1 AS BIGINT)";
    }
    StringBuilder sb = new StringBuilder("CASE");
    for (int i = 0; i < names.size(); i++) {
      sb.append(" WHEN parameter_name = ").append(literal(names.get(i))).append(" THEN CAST(")
          .append(1L << (i % MAX_CODES)).append(" AS BIGINT)");
    }
    // NULL (and a name not listed, which the names query cannot miss) gets the next bit
    return sb.append(" ELSE CAST(").append(1L << (names.size() % MAX_CODES)).append(" AS BIGINT) END").toString();
  }

  /**
   * Per run and layer: name, type and activation function ({@link LayerRow.Column}).
   *
   * @param activationsOnly read only the activation snapshots (every layer has them, and they are a seventh of
   *     the rows on the benchmark's log); the caller asks again over every kind for layers found without
   */
  public static String layers(Collection<String> runIds, boolean activationsOnly) {
    return "SELECT " + selectList(LayerRow.Column.class, c -> switch (c) {
      case RUN_ID -> "run_id";
      case LAYER_INDEX -> "layer_index";
      case LAYER_NAME -> "min(layer_name)";
      case LAYER_TYPE -> "min(layer_type)";
      case ACTIVATION_FUNCTION -> "max(activation_function)";
    }) + " FROM snapshots_all WHERE " + (activationsOnly ? "kind = 'activation' AND " : "") + "run_id IN (" + inList(runIds)
        + ") GROUP BY run_id, layer_index";
  }

  /**
   * The longest firing-rate list (for engines that cannot read it from Parquet footers); one column,
   * {@link ScalarColumn#MAX_UNITS}.
   */
  public static String maxUnits(Dialect dialect, Collection<String> runIds) {
    return "SELECT max(" + dialect.length("firing_rate") + ") AS " + ScalarColumn.MAX_UNITS.label() + " FROM snapshots_all WHERE kind = 'activation' AND run_id IN ("
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
   * k = 1..{@code width}: max and sum of the rates at k ({@link UnitsByPositionRow#columns}). Unit k-1 of a window was seen by the snapshots of
   * every length &ge; k (so counts are summed over lengths by the caller, as unnest counted them).
   *
   * @param layers per run, the layers to read; null: every layer of the windows' runs
   */
  public static String neuronWindowsByPosition(Dialect dialect, Collection<Windows> windows,
      java.util.Map<String, ? extends Collection<Integer>> layers, int width, boolean deduplicate) {
    StringBuilder sql = new StringBuilder("SELECT ").append(selectList(UnitsByPositionRow.Column.class,
        c -> switch (c) {
          case RUN_ID -> "run_id";
          case LAYER_INDEX -> "layer_index";
          case WINDOW -> "win";
          case LIST_LENGTH -> "n";
          case SNAPSHOTS -> "count(*)";
        }));
    for (int k = 1; k <= width; k++) {
      String rate = dialect.element("firing_rate", k);
      sql.append(", max(").append(rate).append(") AS ").append(UnitsByPositionRow.maxRate(k).label())
          .append(", sum(CAST(").append(rate).append(" AS DOUBLE)) AS ").append(UnitsByPositionRow.sumRate(k).label());
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
   * Columns {@link NeuronWindowRow.Column}, one row per unit (the lists exploded), for the given layers of
   * each run (null: every layer).
   */
  public static String neuronWindows(Dialect dialect, Collection<Windows> windows,
      java.util.Map<String, ? extends Collection<Integer>> layers, boolean deduplicate) {
    String source = "(SELECT run_id, layer_index, iteration, partition_id, firing_rate, " + windowExpression(windows)
        + " AS win FROM " + (deduplicate ? "activations WHERE" : "snapshots_all WHERE kind = 'activation' AND")
        + " firing_rate IS NOT NULL AND " + runAndLayerFilter(windows, layers) + ") a";
    return "SELECT " + selectList(NeuronWindowRow.Column.class, c -> switch (c) {
      case RUN_ID -> "run_id";
      case LAYER_INDEX -> "layer_index";
      case WINDOW -> "win";
      case NEURON -> "CAST(neuron AS INT)";
      case MAX_RATE -> "max(rate)";
      case SUM_RATE -> "sum(CAST(rate AS DOUBLE))";
      case SNAPSHOTS -> "count(*)";
    }) + " FROM (" + dialect.explodeRates(source) + ") n GROUP BY run_id, layer_index, win, neuron "
        + "ORDER BY run_id, layer_index, win, neuron";
  }

  /**
   * Columns {@link NeuronIterationRow.Column}: the mean firing rate per neuron over bins of {@code width}
   * iterations starting at {@code first} (a bin is labelled with its first iteration that has data).
   */
  public static String neuronIterations(Dialect dialect, String runId, int layerIndex, boolean deduplicate, long first,
      long width) {
    String source = "(SELECT run_id, layer_index, iteration, partition_id, firing_rate, CAST(floor((iteration - " + first
        + ") / " + width + ".0) AS BIGINT) AS win FROM "
        + (deduplicate ? "activations WHERE" : "snapshots_all WHERE kind = 'activation' AND")
        + " firing_rate IS NOT NULL AND run_id = " + literal(runId) + " AND layer_index = " + layerIndex + ") a";
    return "SELECT " + selectList(NeuronIterationRow.Column.class, c -> switch (c) {
      case ITERATION -> "min(iteration)";
      case NEURON -> "CAST(neuron AS INT)";
      case RATE -> "avg(CAST(rate AS DOUBLE))";
    }) + " FROM (" + dialect.explodeRates(source)
        + ") n GROUP BY win, neuron ORDER BY 1, 2";
  }

  /** Per run, the accuracy at its latest evaluated epoch ({@link FinalAccuracyRow.Column}). */
  public static String finalAccuracy(Collection<String> runIds) {
    return "SELECT " + selectList(FinalAccuracyRow.Column.class, c -> switch (c) {
      case RUN_ID -> "run_id";
      case ACCURACY -> "max_by(accuracy, epoch)";
    }) + " FROM evaluations WHERE run_id IN (" + inList(runIds)
        + ") GROUP BY run_id";
  }

  /** Per run and epoch, the test loss and accuracy, in epoch order ({@link EvaluationRow.Column}). */
  public static String evaluations(Collection<String> runIds) {
    return "SELECT " + selectList(EvaluationRow.Column.class, c -> switch (c) {
      case RUN_ID -> "run_id";
      case EPOCH -> "epoch";
      case ITERATION -> "max(iteration)";
      case LOSS -> "avg(loss)";
      case ACCURACY -> "avg(accuracy)";
    }) + " FROM evaluations WHERE run_id IN (" + inList(runIds) + ") GROUP BY run_id, epoch ORDER BY 1, 2";
  }

  /** Per run, the job spec of its RunStart ({@link JobSpecRow.Column}; one per run should RunStart be logged twice). */
  public static String jobSpecs(Collection<String> runIds) {
    return "SELECT " + selectList(JobSpecRow.Column.class, c -> switch (c) {
      case RUN_ID -> "run_id";
      case JOB_SPEC -> "max(job_spec)";
    }) + " FROM runs WHERE run_id IN (" + inList(runIds) + ") GROUP BY run_id ORDER BY 1";
  }

  /** A worker's statistic is compared with the others' only where at least this many workers logged it. */
  public static final int MIN_WORKERS_TO_COMPARE = 3;

  /** A worker: a partition on one executor and host (a partition that moved is a worker per placement). */
  private static final String WORKER = "run_id, partition_id, executor_id, host";

  /**
   * Each worker's pace ({@link WorkerStepRow.Column}): per worker (partition, executor, host) and window, and
   * over the whole run (window {@link WorkerStepRow#WHOLE_RUN}), the median over its steps of the time between
   * two consecutive logged iterations divided by the iterations between them (the latest snapshot timestamp of
   * each iteration). A median, not a mean: with synchronous averaging
   * every worker's mean pace is the slowest one's (the others wait at each average), while a straggler's
   * typical step stays slow.
   *
   * @param deduplicate read the de-duplicated {@code snapshots}; false reads {@code snapshots_all}, exact for runs
   *     known to hold no duplicate (and far cheaper: no window over the whole log)
   */
  public static String workerSteps(Dialect dialect, Collection<Windows> windows, boolean deduplicate) {
    String runs = inList(windows.stream().map(Windows::runId).toList());
    String over = " OVER (PARTITION BY " + WORKER + " ORDER BY iteration)";
    String with = "WITH t AS (SELECT " + WORKER + ", iteration, max(" + dialect.epochMillis("timestamp")
        + ") AS ms FROM " + (deduplicate ? "snapshots" : "snapshots_all") + " WHERE run_id IN (" + runs + ") AND "
        + sampledIterations(windows) + " GROUP BY " + WORKER + ", iteration),\n"
        + "s AS (SELECT " + WORKER + ", iteration, CAST(ms - lag(ms)" + over + " AS DOUBLE) / (iteration - lag(iteration)"
        + over + ") AS step FROM t),\n"
        + "w AS (SELECT " + WORKER + ", " + windowExpression(windows) + " AS win, step FROM s WHERE step IS NOT NULL)\n";
    return with + "SELECT " + selectList(WorkerStepRow.Column.class, c -> stepColumn(c, "win"))
        + " FROM w GROUP BY " + WORKER + ", win\nUNION ALL SELECT "
        + selectList(WorkerStepRow.Column.class, c -> stepColumn(c, "CAST(" + WorkerStepRow.WHOLE_RUN + " AS INT)"))
        + " FROM w GROUP BY " + WORKER;
  }

  private static String stepColumn(WorkerStepRow.Column c, String window) {
    return switch (c) {
      case RUN_ID -> "run_id";
      case PARTITION_ID -> "partition_id";
      case EXECUTOR_ID -> "executor_id";
      case HOST -> "host";
      case WINDOW -> window;
      case STEP_MILLIS -> "median(step)";
      case STEPS -> "count(*)";
    };
  }

  /**
   * How far each worker's statistics are from the median of every worker's at the same layer and iteration
   * ({@link WorkerStatRow.Column}): the layer's whole gradient L2 norm ({@code gradient_l2}), its activations'
   * mean |x| ({@code activation_mean_abs}) and zero fraction ({@code zero_fraction}), compared where at least
   * {@link #MIN_WORKERS_TO_COMPARE} workers logged the value (so one worker cannot move the median it is compared
   * with) and the value is finite. Per worker, layer, statistic and window, and over the whole run (window
   * {@link WorkerStepRow#WHOLE_RUN}): the iterations compared and those where the worker was off, i.e. value and
   * median differ by {@code factor} or more (max / min of the two, the norms and mean |x| are not negative) or,
   * for the zero fraction, by {@code zeroDifference} or more.
   *
   * @param deduplicate read the de-duplicated views; false reads {@code snapshots_all}, exact for runs known to
   *     hold no duplicate
   */
  public static String workerDisagreement(Collection<Windows> windows, double factor, double zeroDifference,
      boolean deduplicate) {
    String runs = "run_id IN (" + inList(windows.stream().map(Windows::runId).toList()) + ") AND "
        + sampledIterations(windows);
    String gradients = deduplicate ? "gradients WHERE " : "snapshots_all WHERE kind = 'gradient' AND ";
    String activations = deduplicate ? "activations WHERE " : "snapshots_all WHERE kind = 'activation' AND ";
    String columns = WORKER + ", layer_index, iteration, ";
    String with = "WITH v AS (SELECT " + columns + "'gradient_l2' AS stat, sqrt(sum(l2_norm * l2_norm)) AS value "
        + "FROM " + gradients + runs + " GROUP BY " + WORKER + ", layer_index, iteration\n"
        + "  UNION ALL SELECT " + columns + "'activation_mean_abs', mean_abs FROM " + activations + runs + "\n"
        + "  UNION ALL SELECT " + columns + "'zero_fraction', zero_fraction FROM " + activations + runs + "),\n"
        // BETWEEN leaves out NULL, NaN and the infinities in both engines (NaN sorts above every number)
        + "f AS (SELECT * FROM v WHERE value BETWEEN -1.0E308 AND 1.0E308),\n"
        + "m AS (SELECT run_id AS m_run, layer_index AS m_layer, iteration AS m_iteration, stat AS m_stat, "
        + "median(value) AS med FROM f GROUP BY run_id, layer_index, iteration, stat HAVING count(*) >= "
        + MIN_WORKERS_TO_COMPARE + "),\n"
        + "d AS (SELECT " + WORKER + ", layer_index, stat, " + windowExpression(windows) + " AS win, "
        + "CASE WHEN stat = 'zero_fraction' THEN abs(value - med) >= CAST(" + zeroDifference + " AS DOUBLE) "
        + "ELSE greatest(value, med) > 0 AND greatest(value, med) >= CAST(" + factor + " AS DOUBLE) * least(value, med) "
        + "END AS off, CASE WHEN stat = 'zero_fraction' THEN value - med WHEN value > 0 AND med > 0 THEN ln(value / med) "
        + "END AS dev FROM f JOIN m ON run_id = m_run AND layer_index = m_layer AND iteration = m_iteration "
        + "AND stat = m_stat)\n";
    return with + "SELECT " + selectList(WorkerStatRow.Column.class, c -> statColumn(c, "win"))
        + " FROM d GROUP BY " + WORKER + ", layer_index, stat, win\nUNION ALL SELECT "
        + selectList(WorkerStatRow.Column.class, c -> statColumn(c, "CAST(" + WorkerStepRow.WHOLE_RUN + " AS INT)"))
        + " FROM d GROUP BY " + WORKER + ", layer_index, stat";
  }

  private static String statColumn(WorkerStatRow.Column c, String window) {
    return switch (c) {
      case RUN_ID -> "run_id";
      case PARTITION_ID -> "partition_id";
      case EXECUTOR_ID -> "executor_id";
      case HOST -> "host";
      case LAYER_INDEX -> "layer_index";
      case STAT -> "stat";
      case WINDOW -> window;
      case COMPARED -> "count(*)";
      case DISAGREEING -> "CAST(sum(CASE WHEN off THEN 1 ELSE 0 END) AS BIGINT)";
      // over the iterations where it was off: how far off it is when it disagrees
      case DEVIATION -> "CASE WHEN stat = 'zero_fraction' THEN avg(CASE WHEN off THEN dev END) "
          + "ELSE exp(avg(CASE WHEN off THEN dev END)) END";
    };
  }

  /** The window number of an iteration, per run (a CASE, so both engines evaluate it alike without a join). */
  /** Iterations per run the worker-health queries look at, at most: evenly spaced, see {@link #sampledIterations}. */
  static final int WORKER_SAMPLE_ITERATIONS = 128;

  /**
   * The iterations the worker-health queries compare: every one in runs of up to {@link #WORKER_SAMPLE_ITERATIONS}
   * iterations, else those divisible by the smallest power of two that leaves about that many (a power of two keeps a
   * share of the logged iterations whatever {@code logging.every} is). Comparing workers needs a sample, not every
   * step: on the 10-million-row benchmark log (`monkey bench analytics`) every iteration made the two queries 4.0 and
   * 0.7 s of a report that took ~3.7 s before them; 128 iterations make them 0.17 and 0.14 s.
   */
  static String sampledIterations(Collection<Windows> windows) {
    StringBuilder sb = new StringBuilder("(CASE run_id");
    for (Windows w : windows) {
      long span = w.lastIteration() - w.firstIteration() + 1;
      long stride = Long.highestOneBit(Math.max(1, (span - 1) / WORKER_SAMPLE_ITERATIONS)) << 1;
      stride = span <= WORKER_SAMPLE_ITERATIONS ? 1 : stride;
      sb.append(" WHEN ").append(literal(w.runId())).append(" THEN iteration % ").append(stride);
    }
    return sb.append(" ELSE 0 END) = 0").toString();
  }

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
