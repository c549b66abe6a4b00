package dev.activationmonkey.localkafka;

import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Testcontainers' Apache Kafka image, for machines with a Docker engine. Loaded only when asked for,
 * so machines without Testcontainers on the classpath never touch this class.
 */
final class TestcontainersKafka implements KafkaBroker {
  /** The image, on the same Kafka version as the local broker. */
  static final String IMAGE = "apache/kafka:4.1.1";

  private final KafkaContainer container;

  private TestcontainersKafka(KafkaContainer container) {
    this.container = container;
  }

  static TestcontainersKafka start() {
    KafkaContainer container = new KafkaContainer(DockerImageName.parse(IMAGE));
    container.start();
    Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "monkey-kafka-container-stop"));
    return new TestcontainersKafka(container);
  }

  @Override
  public String bootstrapServers() {
    return container.getBootstrapServers();
  }

  @Override
  public void createTopic(String name, int partitions) {
    ExternalBroker.createTopic(bootstrapServers(), name, partitions);
  }
}
