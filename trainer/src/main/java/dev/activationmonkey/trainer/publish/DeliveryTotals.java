package dev.activationmonkey.trainer.publish;

import java.io.Serializable;

/**
 * Delivery outcome counts. {@code sent}: acknowledged by the broker (re-sent records included);
 * {@code spilled}: written to the local spill directory after a failed or impossible send; {@code resent}:
 * spilled records later acknowledged; {@code dropped}: records that could neither be delivered nor spilled,
 * each one logged.
 */
public record DeliveryTotals(long sent, long spilled, long resent, long dropped) implements Serializable {
  public static final DeliveryTotals ZERO = new DeliveryTotals(0, 0, 0, 0);

  public DeliveryTotals plus(DeliveryTotals other) {
    return new DeliveryTotals(sent + other.sent, spilled + other.spilled, resent + other.resent,
        dropped + other.dropped);
  }

  /** Spilled records neither re-sent nor dropped yet: still on disk. */
  public long pendingInSpill() {
    return Math.max(0, spilled - resent);
  }
}
