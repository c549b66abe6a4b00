package dev.activationmonkey.snapshot;

/**
 * Bytes on the snapshot topic that cannot be turned into a record. Not retriable: the same bytes fail
 * the same way, so consumers route them to a dead-letter topic rather than retry.
 */
public class SnapshotDecodingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SnapshotDecodingException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A short machine-readable reason, used as the dead-letter header value. */
  public String reason() {
    return "undecodable";
  }
}
