package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One run: its layers, gradient flow, alerts (flat, every rule's findings), the same alerts grouped by cause
 * ({@link Diagnosis}), and the per-iteration rows the charts are drawn from.
 *
 * @param gradientRatio first layer's gradient L2 over the last layer's, last window; NaN without gradients
 * @param finalAccuracy the latest evaluation's accuracy; NaN where none was logged
 */
public record RunReport(String runId, Windows windows, int workers, List<LayerReport> layers,
    int firstGradientLayer, int lastGradientLayer, double gradientRatio, double finalAccuracy,
    List<Alert> alerts, List<Diagnosis> diagnoses, List<LayerIterationRow> series) {
  public RunReport {
    requireNonNull(runId, "runId is null");
    requireNonNull(windows, "windows is null");
    layers = List.copyOf(layers);
    alerts = List.copyOf(alerts);
    diagnoses = List.copyOf(diagnoses);
    series = List.copyOf(series);
  }
}
