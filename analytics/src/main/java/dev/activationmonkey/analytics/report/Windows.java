package dev.activationmonkey.analytics.report;

import static java.util.Objects.requireNonNull;

/**
 * A run's iterations cut into equal windows: window k holds iterations
 * [first + k*width, first + (k+1)*width). "Dead over a window" and "the last window" refer to these.
 */
public record Windows(String runId, long firstIteration, long lastIteration, long width) {
  public Windows {
    requireNonNull(runId, "runId is null");
    if (width < 1) {
      throw new IllegalArgumentException("width must be >= 1, got " + width);
    }
  }

  public static Windows of(String runId, long first, long last, int count) {
    long span = last - first + 1;
    return new Windows(runId, first, last, Math.max(1, (span + count - 1) / count));
  }

  public int windowOf(long iteration) {
    return (int) Math.floorDiv(iteration - firstIteration, width);
  }

  public int lastWindow() {
    return windowOf(lastIteration);
  }

  public long windowStart(int window) {
    return firstIteration + window * width;
  }

  public long windowEnd(int window) {
    return Math.min(lastIteration, windowStart(window) + width - 1);
  }
}
