package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;

/**
 * One finding of a rule: which run and layer (null for run-wide findings), over which iterations, the
 * numbers that triggered it, when it began ({@link Onset}; null where no single window shows it, e.g. a
 * whole-run mean) and what to try ({@link Remedy}, from {@link Remedies}).
 */
public record Alert(Level level, String rule, String runId, Integer layerIndex, String layerName,
    long fromIteration, long toIteration, String message, Map<String, Double> evidence, Onset onset,
    List<Remedy> remedies) {

  public enum Level { WARN, ERROR }

  public Alert {
    requireNonNull(level, "level is null");
    requireNonNull(rule, "rule is null");
    requireNonNull(runId, "runId is null");
    requireNonNull(message, "message is null");
    evidence = Map.copyOf(requireNonNull(evidence, "evidence is null"));
    remedies = List.copyOf(requireNonNull(remedies, "remedies is null"));
  }

  /** The same alert with another onset. */
  public Alert withOnset(Onset newOnset) {
    return newOnset == onset ? this
        : new Alert(level, rule, runId, layerIndex, layerName, fromIteration, toIteration, message, evidence, newOnset,
            remedies);
  }

  public String where() {
    return "run " + runId + layer() + " iterations " + fromIteration + "-" + toIteration;
  }

  /** " layer 3 (conv3)", or "" for a run-wide finding. */
  public String layer() {
    return layerIndex == null ? "" : " layer " + layerIndex + (layerName.isEmpty() ? "" : " (" + layerName + ")");
  }
}
