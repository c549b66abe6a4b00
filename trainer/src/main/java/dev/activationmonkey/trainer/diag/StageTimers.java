package dev.activationmonkey.trainer.diag;

import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * Wall-clock time the snapshot listener spends per stage, for finding where a logged step's cost goes. Off
 * unless the JVM runs with {@code -Dmonkey.listener.timers=true}: then every stage adds its
 * {@code System.nanoTime} span to a JVM-wide accumulator, and {@link #report()} prints totals, counts and
 * the mean per call. Off, {@link #start()} returns 0 and {@link #stop} returns at once (one static final branch
 * the JIT folds away).
 */
public final class StageTimers {
  /** The property that turns the timers on. */
  public static final String PROPERTY = "monkey.listener.timers";
  public static final boolean ENABLED = Boolean.getBoolean(PROPERTY);

  /** The listener's stages; nested ones ("of which") are part of their enclosing stage's time. */
  public enum Stage {
    ACTIVATION_STATS("statistics: activations"),
    GRADIENT_STATS("statistics: gradients"),
    PARAMETER_STATS("statistics: parameters"),
    UPDATE_STATS("statistics: updates"),
    SCAN("  of which one-pass scan (moments, counts, histogram)"),
    NEURONS("  of which per-neuron vectors + sample"),
    OUTPUT_RECOMPUTE("  of which output-layer activations recomputed"),
    COPY("arrays copied for the publishing thread (training thread)"),
    ON_TRAINING_THREAD("snapshots made on the training thread (copies off or their buffer full)"),
    RECORD("record built (Avro object)"),
    SEND("Kafka send / hand-off"),
    PROGRESS("progress + accumulators"),
    FLUSH("flush / drain at task end");

    private final String label;

    Stage(String label) {
      this.label = label;
    }
  }

  private static final LongAdder[] NANOS = adders();
  private static final LongAdder[] CALLS = adders();

  private StageTimers() {}

  private static LongAdder[] adders() {
    LongAdder[] a = new LongAdder[Stage.values().length];
    for (int i = 0; i < a.length; i++) {
      a[i] = new LongAdder();
    }
    return a;
  }

  /** A start time for {@link #stop}, or 0 when the timers are off. */
  public static long start() {
    return ENABLED ? System.nanoTime() : 0L;
  }

  /** Adds the time since {@code start} to {@code stage}. */
  public static void stop(Stage stage, long start) {
    if (ENABLED) {
      NANOS[stage.ordinal()].add(System.nanoTime() - start);
      CALLS[stage.ordinal()].increment();
    }
  }

  public static void reset() {
    for (int i = 0; i < NANOS.length; i++) {
      NANOS[i].reset();
      CALLS[i].reset();
    }
  }

  /** Total milliseconds of a stage so far. */
  public static double millis(Stage stage) {
    return NANOS[stage.ordinal()].sum() / 1e6;
  }

  /** One line per stage that ran: total ms, calls, µs per call, and ms per {@code perWhat} unit if given. */
  public static String report(long units, String perWhat) {
    StringBuilder b = new StringBuilder();
    for (Stage s : Stage.values()) {
      long calls = CALLS[s.ordinal()].sum();
      if (calls == 0) {
        continue;
      }
      double ms = NANOS[s.ordinal()].sum() / 1e6;
      b.append(String.format(Locale.ROOT, "  %-48s %9.1f ms %8d calls %9.1f us/call", s.label, ms, calls,
          ms * 1000 / calls));
      if (units > 0) {
        b.append(String.format(Locale.ROOT, " %8.3f ms/%s", ms / units, perWhat));
      }
      b.append('\n');
    }
    return b.toString();
  }
}
