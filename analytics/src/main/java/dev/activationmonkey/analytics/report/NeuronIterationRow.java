package dev.activationmonkey.analytics.report;

import java.util.Locale;

/** The firing rate of one neuron at one iteration, averaged over workers. */
public record NeuronIterationRow(long iteration, int neuron, double rate) {

  /** The columns of {@link ReportSql#neuronIterations}, in the order it selects them. */
  enum Column implements ResultColumn {
    ITERATION(long.class), NEURON(int.class), RATE(double.class);

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

  static NeuronIterationRow read(SqlRows.SqlRow r) {
    return new NeuronIterationRow(r.longValue(Column.ITERATION), r.integer(Column.NEURON), r.real(Column.RATE));
  }
}
