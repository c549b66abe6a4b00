package dev.activationmonkey.snapshot;

/** The bytes are not an Avro single-object encoded record, or its body does not match its schema. */
public final class MalformedRecordException extends SnapshotDecodingException {
  private static final long serialVersionUID = 1L;

  public MalformedRecordException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public String reason() {
    return "malformed";
  }
}
