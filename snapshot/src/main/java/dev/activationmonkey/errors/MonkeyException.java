package dev.activationmonkey.errors;

/**
 * A failure a {@code monkey} command reports to its user with a message and a distinct exit code,
 * without a stack trace. The message says what is wrong and how to fix it.
 */
public class MonkeyException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int exitCode;

  public MonkeyException(int exitCode, String message) {
    this(exitCode, message, null);
  }

  public MonkeyException(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  /** One of {@link ExitCode}'s values. */
  public int exitCode() {
    return exitCode;
  }
}
