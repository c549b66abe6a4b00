package dev.activationmonkey.trainer.publish;

import java.util.concurrent.atomic.LongAdder;

/**
 * Delivery outcomes of the snapshots one task (or one driver) sent. Incremented from producer callbacks,
 * so thread-safe. {@code sent} counts every record the broker acknowledged, including re-sent ones;
 * {@code resent} the part of them that came from the spill directory.
 */
public final class DeliveryCounts {
  private final LongAdder sent = new LongAdder();
  private final LongAdder spilled = new LongAdder();
  private final LongAdder resent = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final DeliveryCounts parent;

  public DeliveryCounts() {
    this(null);
  }

  /** Counts that also add every outcome to {@code parent} (e.g. a JVM-wide total for live progress). */
  public DeliveryCounts(DeliveryCounts parent) {
    this.parent = parent;
  }

  void acknowledged(boolean fromSpill) {
    sent.increment();
    if (fromSpill) {
      resent.increment();
    }
    if (parent != null) {
      parent.acknowledged(fromSpill);
    }
  }

  void spilled() {
    spilled.increment();
    if (parent != null) {
      parent.spilled();
    }
  }

  /** One record lost for good: refused by the broker, no spill room, or (the listener) it could not be made. */
  public void dropped() {
    dropped.increment();
    if (parent != null) {
      parent.dropped();
    }
  }

  public DeliveryTotals totals() {
    return new DeliveryTotals(sent.sum(), spilled.sum(), resent.sum(), dropped.sum());
  }

  /** Takes the counts so far and resets them, for reporting increments. */
  public DeliveryTotals drain() {
    return new DeliveryTotals(sent.sumThenReset(), spilled.sumThenReset(), resent.sumThenReset(),
        dropped.sumThenReset());
  }

  /** Adds totals reported elsewhere. */
  public void add(DeliveryTotals totals) {
    sent.add(totals.sent());
    spilled.add(totals.spilled());
    resent.add(totals.resent());
    dropped.add(totals.dropped());
  }
}
