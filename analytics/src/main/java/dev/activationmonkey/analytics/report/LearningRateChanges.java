package dev.activationmonkey.analytics.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The iterations where a run's learning rate jumped, read from the {@code network.updater.schedule} of the job spec
 * its RunStart carries: every key of a {@code map} schedule, every {@code step} of a step schedule (the continuous
 * schedules change a little at every step and mark no point). An alert whose rule first held at or just after such
 * a jump says so in its onset: "right after the learning rate's step ×0.5 at iteration 1000" is what a user needs
 * to fix a sickness a schedule caused.
 *
 * <p>Iterations are the snapshots' (the network's iteration count, which DL4J's schedules read). Epoch schedules
 * change at an epoch's first iteration, known from the previous epoch's evaluation; epochs without one are left
 * out.
 *
 * @param changes the jumps, in iteration order
 */
public record LearningRateChanges(List<Change> changes) {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  /** Enough for any log: a step schedule marks at most this many of its steps. */
  private static final int MAX_CHANGES = 10_000;

  /**
   * A jump of the learning rate.
   *
   * @param iteration the first iteration trained at the new rate
   * @param from the rate before, NaN where the spec does not say it (a step schedule's default initial rate)
   * @param to the rate after, NaN likewise
   * @param factor to / from
   */
  public record Change(long iteration, double from, double to, double factor) {
    String describe() {
      String values = Double.isNaN(from) ? "×" + number(factor) : "from " + number(from) + " to " + number(to);
      return "the learning rate's " + (factor > 1 ? "rise " : "step ") + values + " at iteration " + iteration;
    }
  }

  public LearningRateChanges {
    changes = List.copyOf(changes);
  }

  public static final LearningRateChanges NONE = new LearningRateChanges(List.of());

  /**
   * The changes the spec's schedule makes up to {@code lastIteration}; {@link #NONE} for a spec without a discrete
   * schedule, or one that does not parse (the report does not judge the spec; the trainer validated it).
   *
   * @param epochEnds per epoch, the iteration count at its end (its evaluation's iteration), for epoch schedules
   */
  public static LearningRateChanges of(String jobSpec, long lastIteration, Map<Integer, Long> epochEnds) {
    JsonNode updater;
    try {
      JsonNode root = jobSpec == null || jobSpec.isBlank() ? null : YAML.readTree(jobSpec);
      updater = root == null ? null : root.path("network").path("updater");
    } catch (IOException e) {
      return NONE;
    }
    if (updater == null || !updater.path("schedule").isObject()) {
      return NONE;
    }
    JsonNode schedule = updater.path("schedule");
    boolean epochs = schedule.path("unit").asText("iteration").equals("epoch");
    String type = schedule.path("type").asText("none");
    List<Change> out = new ArrayList<>();
    if (type.equals("map")) {
      TreeMap<Long, Double> rates = new TreeMap<>(); // unit -> rate from that unit on
      for (Iterator<Map.Entry<String, JsonNode>> it = schedule.path("values").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        try {
          rates.put(Long.parseLong(e.getKey().trim()), e.getValue().asDouble(Double.NaN));
        } catch (NumberFormatException bad) {
          return NONE;
        }
      }
      Double previous = null;
      for (Map.Entry<Long, Double> e : rates.entrySet()) {
        if (previous != null && !previous.equals(e.getValue())) {
          add(out, epochs, e.getKey(), previous, e.getValue(), e.getValue() / previous, lastIteration, epochEnds);
        }
        previous = e.getValue();
      }
    } else if (type.equals("step")) {
      double decay = schedule.path("decay").asDouble(0.5);
      double step = schedule.path("step").asDouble(1000);
      double initial = updater.path("learning-rate").asDouble(Double.NaN); // NaN: the updater's default, not known here
      if (!(step >= 1) || decay == 1) {
        return NONE;
      }
      long lastUnit = epochs ? epochEnds.size() : lastIteration;
      for (int k = 1; k <= MAX_CHANGES && k * step <= lastUnit; k++) {
        add(out, epochs, (long) Math.ceil(k * step), initial * Math.pow(decay, k - 1), initial * Math.pow(decay, k),
            decay, lastIteration, epochEnds);
      }
    } else {
      return NONE;
    }
    return new LearningRateChanges(out);
  }

  /** Adds the change at {@code unit} (an iteration, or an epoch placed at its first iteration) if it is in the log. */
  private static void add(List<Change> out, boolean epochs, long unit, double from, double to, double factor,
      long lastIteration, Map<Integer, Long> epochEnds) {
    long at = epochs ? firstIterationOfEpoch(unit, epochEnds) : unit;
    if (at >= 0 && at <= lastIteration) {
      out.add(new Change(at, from, to, factor));
    }
  }

  /** Epoch e's first iteration: the iteration count at the end of epoch e - 1; -1 where that is not known. */
  private static long firstIterationOfEpoch(long epoch, Map<Integer, Long> epochEnds) {
    if (epoch == 0) {
      return 0;
    }
    Long end = epochEnds.get((int) (epoch - 1));
    return end == null ? -1 : end;
  }

  /**
   * The onset with the jump it followed: the latest change at or before the end of the onset's window and within
   * the two windows before it (a rule judged over windows' means first holds in the window the change fell in, or
   * one or two later while the sickness spreads). The onset unchanged where none fits.
   *
   * @param windowWidth iterations per window of the run
   */
  public Onset annotate(Onset onset, long windowWidth) {
    if (onset == null || changes.isEmpty()) {
      return onset;
    }
    long earliest = onset.iteration() - 2 * Math.max(1, windowWidth);
    Change match = null;
    for (Change c : changes) {
      if (c.iteration() <= onset.windowEnd() && c.iteration() > earliest) {
        match = c;
      }
    }
    return match == null ? onset : onset.after(match.describe());
  }

  private static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e6 ? String.valueOf((long) v)
        : String.format(Locale.ROOT, "%.3g", v).replaceFirst("(\\.\\d*?)0+(e|$)", "$1$2").replaceFirst("\\.(e|$)", "$1");
  }
}
