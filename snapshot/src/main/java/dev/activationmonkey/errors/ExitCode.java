package dev.activationmonkey.errors;

/**
 * Exit codes of every {@code monkey} command, so scripts and pipelines can tell failures apart.
 */
public final class ExitCode {
  private ExitCode() {}

  /** Done. */
  public static final int OK = 0;
  /** An internal error: a bug, or a failure the user cannot fix by changing input. */
  public static final int INTERNAL = 1;
  /** Bad input: invalid configuration, command line, path or data. The message says what to change. */
  public static final int INVALID_INPUT = 2;
  /** The report found alerts at or above the level given to {@code --fail-on}. */
  public static final int ALERTS = 3;
  /** A service the command needs (the Kafka broker, a Spark master) could not be reached. */
  public static final int UNAVAILABLE = 4;
  /** Training diverged: a training loss turned NaN or infinite (the run's log up to there is complete). */
  public static final int DIVERGED = 5;
  /** Interrupted (Ctrl-C); what was accepted before was kept. */
  public static final int INTERRUPTED = 130;
}
