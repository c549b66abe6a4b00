package dev.activationmonkey.analytics.report;

/**
 * When a finding began: the first iteration where its rule held (the start of the first {@link Windows}
 * window where it held, or the exact iteration for NaN/Inf counts), the end of that window, and whether it
 * held in every later window that has data (a sickness that stayed) or came and went.
 *
 * @param after what happened just before, e.g. "the learning rate's rise from 0.01 to 5 at iteration 30"
 *     ({@link LearningRateChanges}); null where nothing is known
 */
public record Onset(long iteration, long windowEnd, boolean holdsToEnd, String after) {

  public Onset(long iteration, long windowEnd, boolean holdsToEnd) {
    this(iteration, windowEnd, holdsToEnd, null);
  }

  /** The same onset, right after {@code event}. */
  public Onset after(String event) {
    return new Onset(iteration, windowEnd, holdsToEnd, event);
  }

  /**
   * "from iteration 30 (window 30-39) to the end", or "first at iteration 30 (window 30-39), not in every window
   * since", followed by ", right after ..." where known.
   */
  public String describe() {
    String window = windowEnd > iteration ? " (window " + iteration + "-" + windowEnd + ")" : "";
    String when = holdsToEnd ? "from iteration " + iteration + window + " to the end"
        : "first at iteration " + iteration + window + ", not in every window since";
    return after == null ? when : when + ", right after " + after;
  }
}
