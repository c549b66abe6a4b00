package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The whole report: one {@link RunReport} per run, the files left out as unreadable, and the thresholds used. */
public record Report(String dataset, String engine, List<RunReport> runs, Map<String, String> badFiles,
    Thresholds thresholds) {
  public Report {
    requireNonNull(dataset, "dataset is null");
    runs = List.copyOf(runs);
    badFiles = Map.copyOf(badFiles);
  }

  public List<Alert> alerts() {
    List<Alert> all = new ArrayList<>();
    runs.forEach(r -> all.addAll(r.alerts()));
    return all;
  }

  public List<Diagnosis> diagnoses() {
    List<Diagnosis> all = new ArrayList<>();
    runs.forEach(r -> all.addAll(r.diagnoses()));
    return all;
  }

  /**
   * True when some diagnosis is at {@code level} or above (a diagnosis is at the highest level of its alerts, so
   * this is also true of the flat list).
   */
  public boolean hasAlertsAtLeast(Alert.Level level) {
    return diagnoses().stream().anyMatch(d -> d.level().compareTo(level) >= 0);
  }
}
