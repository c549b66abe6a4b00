package dev.activationmonkey.errors;

/**
 * Bad input: a configuration key, a command-line option, a path or data that cannot be used.
 * Exits with {@link ExitCode#INVALID_INPUT}. Name the offending key or file and what is allowed.
 */
public class InvalidInputException extends MonkeyException {
  private static final long serialVersionUID = 1L;

  public InvalidInputException(String message) {
    super(ExitCode.INVALID_INPUT, message);
  }

  public InvalidInputException(String message, Throwable cause) {
    super(ExitCode.INVALID_INPUT, message, cause);
  }
}
