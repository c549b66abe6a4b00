package dev.activationmonkey.collector.ingest;

import static java.util.Objects.requireNonNull;

/**
 * Why a record cannot be written.
 *
 * @param reason short and machine-readable: {@code malformed}, {@code unknown-schema} (from the
 *     snapshot codec) or {@code invalid-record} (decodes, but breaks the dataset's rules)
 */
public record Rejection(String reason, String message) {
  public static final String INVALID_RECORD = "invalid-record";

  public Rejection {
    requireNonNull(reason, "reason is null");
    requireNonNull(message, "message is null");
  }
}
