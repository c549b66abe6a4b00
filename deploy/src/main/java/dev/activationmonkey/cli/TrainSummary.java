package dev.activationmonkey.cli;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The counts of a training run as {@code monkey train} prints them at its end ({@code RunResult.summary()}): how the
 * demo and the tests learn them from a trainer that ran in another JVM (spark-submit's driver).
 *
 * @param runId the run's id
 * @param epochs epochs completed
 * @param iterations mini-batch steps over all workers
 * @param snapshotsSent layer snapshots Kafka acknowledged, over every task attempt whose counts reached the driver
 * @param spilled snapshots spilled to disk
 * @param resent spilled snapshots sent later
 * @param dropped snapshots neither sent nor spilled
 */
record TrainSummary(String runId, int epochs, long iterations, long snapshotsSent, long spilled, long resent,
    long dropped) {
  // "run <id>: <n> epochs, <n> iterations, ..." then "snapshots: <n> sent, <n> spilled, <n> re-sent, <n> dropped..."
  private static final Pattern RUN = Pattern.compile("(?m)^run (\\S+): (\\d+) epochs, ([\\d,]+) iterations, ");
  private static final Pattern SNAPSHOTS = Pattern.compile(
      "(?m)^snapshots: ([\\d,]+) sent, ([\\d,]+) spilled, ([\\d,]+) re-sent, ([\\d,]+) dropped");

  /** The last summary in {@code output}, if it has one. */
  static Optional<TrainSummary> parse(String output) {
    Matcher run = RUN.matcher(output);
    int last = -1;
    while (run.find()) {
      last = run.start();
    }
    if (last < 0 || !run.find(last)) {
      return Optional.empty();
    }
    Matcher snapshots = SNAPSHOTS.matcher(output);
    if (!snapshots.find(run.end())) {
      return Optional.empty();
    }
    return Optional.of(new TrainSummary(run.group(1), Integer.parseInt(run.group(2)), number(run.group(3)),
        number(snapshots.group(1)), number(snapshots.group(2)), number(snapshots.group(3)),
        number(snapshots.group(4))));
  }

  private static long number(String digits) {
    return Long.parseLong(digits.replace(",", ""));
  }
}
