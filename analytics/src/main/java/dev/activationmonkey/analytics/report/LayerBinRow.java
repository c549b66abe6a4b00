package dev.activationmonkey.analytics.report;

import java.util.Locale;

/**
 * A row of {@link ReportSql#layerIterations}: one run, layer and bin of iterations, before the layer's names are
 * joined in ({@link #withLayer}). Each statistic is a sum and a count of per-iteration values (a NULL sum, of
 * no values, read as NaN); {@code dirty} is whether some worker reported a snapshot identity twice in the bin.
 */
record LayerBinRow(String runId, int layerIndex, int epoch, long firstIteration, long lastIteration, int workers,
    double zeroSum, long zeroCount, double nearZeroSum, long nearZeroCount, double saturatedSum, long saturatedCount,
    double gradientSum, long gradientCount, double parameterSum, long parameterCount, double updateSum,
    long updateCount, double updateRatioSum, long updateRatioCount, long activationNonFinite, long gradientNonFinite,
    long parameterNonFinite, Long firstNonFiniteIteration, boolean dirty) {

  /** The columns, in the order the query selects them. */
  enum Column implements ResultColumn {
    RUN_ID(String.class), LAYER_INDEX(int.class), EPOCH(int.class), FIRST_ITERATION(long.class),
    LAST_ITERATION(long.class), WORKERS(int.class),
    ZERO_SUM(double.class), ZERO_COUNT(long.class), NEAR_ZERO_SUM(double.class), NEAR_ZERO_COUNT(long.class),
    SATURATED_SUM(double.class), SATURATED_COUNT(long.class), GRADIENT_SUM(double.class), GRADIENT_COUNT(long.class),
    PARAMETER_SUM(double.class), PARAMETER_COUNT(long.class), UPDATE_SUM(double.class), UPDATE_COUNT(long.class),
    UPDATE_RATIO_SUM(double.class), UPDATE_RATIO_COUNT(long.class),
    ACTIVATION_NON_FINITE(long.class), GRADIENT_NON_FINITE(long.class), PARAMETER_NON_FINITE(long.class),
    /** NULL where the bin has no NaN/Inf. */
    FIRST_NON_FINITE_ITERATION(Long.class),
    /** An INT, 0 or 1. */
    DIRTY(boolean.class);

    private final Class<?> type;

    Column(Class<?> type) {
      this.type = type;
    }

    @Override
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public Class<?> type() {
      return type;
    }
  }

  static LayerBinRow read(SqlRows.SqlRow r) {
    return new LayerBinRow(r.text(Column.RUN_ID), r.integer(Column.LAYER_INDEX), r.integer(Column.EPOCH),
        r.longValue(Column.FIRST_ITERATION), r.longValue(Column.LAST_ITERATION), r.integer(Column.WORKERS),
        r.real(Column.ZERO_SUM), r.longValue(Column.ZERO_COUNT),
        r.real(Column.NEAR_ZERO_SUM), r.longValue(Column.NEAR_ZERO_COUNT),
        r.real(Column.SATURATED_SUM), r.longValue(Column.SATURATED_COUNT),
        r.real(Column.GRADIENT_SUM), r.longValue(Column.GRADIENT_COUNT),
        r.real(Column.PARAMETER_SUM), r.longValue(Column.PARAMETER_COUNT),
        r.real(Column.UPDATE_SUM), r.longValue(Column.UPDATE_COUNT),
        r.real(Column.UPDATE_RATIO_SUM), r.longValue(Column.UPDATE_RATIO_COUNT),
        r.longValue(Column.ACTIVATION_NON_FINITE), r.longValue(Column.GRADIENT_NON_FINITE),
        r.longValue(Column.PARAMETER_NON_FINITE), r.nullableLong(Column.FIRST_NON_FINITE_ITERATION),
        r.integer(Column.DIRTY) != 0);
  }

  /** The report's row, with the layer's names (null: none known). */
  LayerIterationRow withLayer(LayerRow layer) {
    return new LayerIterationRow(runId, layerIndex, layer == null ? null : layer.layerName(),
        layer == null ? null : layer.layerType(), layer == null ? null : layer.activationFunction(), epoch,
        firstIteration, lastIteration, workers, stat(zeroSum, zeroCount), stat(nearZeroSum, nearZeroCount),
        stat(saturatedSum, saturatedCount), stat(gradientSum, gradientCount), stat(parameterSum, parameterCount),
        stat(updateSum, updateCount), stat(updateRatioSum, updateRatioCount), activationNonFinite, gradientNonFinite,
        parameterNonFinite, firstNonFiniteIteration == null ? -1 : firstNonFiniteIteration);
  }

  private static Stat stat(double sum, long count) {
    return count == 0 ? Stat.EMPTY : new Stat(sum, count);
  }
}
