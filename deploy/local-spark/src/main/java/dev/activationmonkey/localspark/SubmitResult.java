package dev.activationmonkey.localspark;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The outcome of a {@link LocalSpark#submit(SubmitRequest)}.
 *
 * @param exitCode the spark-submit JVM's exit status: the application's own where its main calls {@code System.exit}
 * @param output what the driver printed to stdout
 * @param log the file holding stdout and stderr (Spark's log) of the submission, with the command line first
 * @param elapsed wall-clock time from start to exit
 */
public record SubmitResult(int exitCode, String output, Path log, Duration elapsed) {
  public SubmitResult {
    requireNonNull(output, "output is null");
    requireNonNull(log, "log is null");
    requireNonNull(elapsed, "elapsed is null");
  }
}
