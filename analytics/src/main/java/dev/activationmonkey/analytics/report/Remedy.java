package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

/**
 * Something to try against a finding, and the job-spec setting that applies it (docs/trainer.md), e.g.
 * {@code network.gradient-normalization.mode: clip-l2-per-layer}; null where no job-spec key applies it.
 */
public record Remedy(String action, String specSetting) {
  public Remedy {
    requireNonNull(action, "action is null");
  }

  public String describe() {
    return action + (specSetting == null ? " (no job-spec key)" : ": " + specSetting);
  }
}
