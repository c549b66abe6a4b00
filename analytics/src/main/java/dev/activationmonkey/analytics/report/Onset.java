package dev.activationmonkey.analytics.report;

/**
 * When a finding began: the first iteration where its rule held (the start of the first {@link Windows}
 * window where it held, or the exact iteration for NaN/Inf counts), the end of that window, and whether it
 * held in every later window that has data (a sickness that stayed) or came and went.
 */
public record Onset(long iteration, long windowEnd, boolean holdsToEnd) {

  /** "from iteration 30 (window 30-39) to the end", or "first in iterations 30-39, not in every window since". */
  public String describe() {
    String window = windowEnd > iteration ? " (window " + iteration + "-" + windowEnd + ")" : "";
    return holdsToEnd ? "from iteration " + iteration + window + " to the end"
        : "first at iteration " + iteration + window + ", not in every window since";
  }
}
