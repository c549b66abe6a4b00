package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/**
 * One neuron (or convolution channel) of a layer over one window of iterations: the highest firing rate
 * any worker's snapshot saw, and the sum and count of firing rates (for the mean).
 */
public record NeuronWindowRow(
    String runId, int layerIndex, int window, int neuron, double maxRate, double sumRate, long snapshots) {
  public NeuronWindowRow {
    requireNonNull(runId, "runId is null");
  }

  /** The columns of {@link ReportSql#neuronWindows}, in the order it selects them. */
  enum Column implements ResultColumn {
    RUN_ID(String.class), LAYER_INDEX(int.class), WINDOW("win", int.class), NEURON(int.class),
    MAX_RATE(double.class), SUM_RATE(double.class), SNAPSHOTS(long.class);

    private final String label;
    private final Class<?> type;

    Column(Class<?> type) {
      this(null, type);
    }

    Column(String label, Class<?> type) {
      this.label = label;
      this.type = type;
    }

    @Override
    public String label() {
      return label != null ? label : name().toLowerCase(Locale.ROOT);
    }

    @Override
    public Class<?> type() {
      return type;
    }
  }

  static NeuronWindowRow read(SqlRows.SqlRow r) {
    return new NeuronWindowRow(r.text(Column.RUN_ID), r.integer(Column.LAYER_INDEX), r.integer(Column.WINDOW),
        r.integer(Column.NEURON), r.real(Column.MAX_RATE), r.real(Column.SUM_RATE), r.longValue(Column.SNAPSHOTS));
  }
}
