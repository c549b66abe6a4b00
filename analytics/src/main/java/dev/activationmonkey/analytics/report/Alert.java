package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * One finding of a rule: which run and layer (null for run-wide findings), over which iterations, and the
 * numbers that triggered it.
 */
public record Alert(Level level, String rule, String runId, Integer layerIndex, String layerName,
    long fromIteration, long toIteration, String message, Map<String, Double> evidence) {

  public enum Level { WARN, ERROR }

  public Alert {
    requireNonNull(level, "level is null");
    requireNonNull(rule, "rule is null");
    requireNonNull(runId, "runId is null");
    requireNonNull(message, "message is null");
    evidence = Map.copyOf(requireNonNull(evidence, "evidence is null"));
  }

  public String where() {
    String layer = layerIndex == null ? "" : " layer " + layerIndex + (layerName.isEmpty() ? "" : " (" + layerName + ")");
    return "run " + runId + layer + " iterations " + fromIteration + "-" + toIteration;
  }
}
