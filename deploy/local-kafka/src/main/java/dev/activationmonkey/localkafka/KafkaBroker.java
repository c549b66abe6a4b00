package dev.activationmonkey.localkafka;

/** A running Kafka broker the caller can produce to and consume from. */
public interface KafkaBroker {
  /** The {@code bootstrap.servers} value, e.g. {@code 127.0.0.1:19092}. */
  String bootstrapServers();

  /**
   * Creates a topic with replication factor 1, or does nothing if it exists; returns once every partition's leader
   * serves it ({@link Topics#createReady}).
   */
  void createTopic(String name, int partitions);
}
