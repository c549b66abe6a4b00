package dev.activationmonkey.snapshot;

/** Kafka topic names shared by the trainer (producing), the collector (consuming) and the tools. */
public final class Topics {
  private Topics() {}

  /** The topic snapshots and run records go to unless configured otherwise. */
  public static final String DEFAULT_SNAPSHOT_TOPIC = "monkey.snapshots";
}
