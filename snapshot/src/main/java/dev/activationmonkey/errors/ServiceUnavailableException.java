package dev.activationmonkey.errors;

/** A service the command needs could not be reached. Exits with {@link ExitCode#UNAVAILABLE}. */
public class ServiceUnavailableException extends MonkeyException {
  private static final long serialVersionUID = 1L;

  public ServiceUnavailableException(String message, Throwable cause) {
    super(ExitCode.UNAVAILABLE, message, cause);
  }
}
