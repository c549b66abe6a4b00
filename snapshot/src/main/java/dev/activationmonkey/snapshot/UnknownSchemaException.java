package dev.activationmonkey.snapshot;

/**
 * A well-formed single-object header whose schema fingerprint this reader does not know: written by a
 * newer (or foreign) producer. Upgrade the reader, or route the record aside.
 */
public final class UnknownSchemaException extends SnapshotDecodingException {
  private static final long serialVersionUID = 1L;
  private final long fingerprint;

  public UnknownSchemaException(long fingerprint, String message) {
    super(message, null);
    this.fingerprint = fingerprint;
  }

  /** The CRC-64-AVRO fingerprint found in the header. */
  public long fingerprint() {
    return fingerprint;
  }

  @Override
  public String reason() {
    return "unknown-schema";
  }
}
