package dev.activationmonkey.localkafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one Kafka broker shared by all integration tests of a JVM: started on first use, stopped when the
 * JVM exits.
 *
 * <p>By default it is a {@link LocalKafka} process on a free port under a temporary directory. With
 * {@code -Dmonkey.kafka.fixture=testcontainers} (where a Docker engine exists) it is Testcontainers'
 * Kafka image instead; with {@code -Dmonkey.kafka.bootstrap=HOST:PORT} it is a broker someone else
 * started (for example {@code ./monkey kafka start} in CI).
 */
public final class KafkaFixture {
  private static KafkaBroker shared;

  private KafkaFixture() {}

  public static synchronized KafkaBroker shared() {
    if (shared == null) {
      shared = create();
    }
    return shared;
  }

  private static KafkaBroker create() {
    String external = System.getProperty("monkey.kafka.bootstrap");
    if (external != null && !external.isBlank()) {
      return new ExternalBroker(external);
    }
    if ("testcontainers".equals(System.getProperty("monkey.kafka.fixture"))) {
      return TestcontainersKafka.start();
    }
    try {
      Path dir = Files.createTempDirectory("monkey-kafka-fixture");
      LocalKafka broker = LocalKafka.builder().dataDir(dir).port(0).build().start();
      Runtime.getRuntime().addShutdownHook(new Thread(broker::stop, "monkey-kafka-fixture-stop"));
      return broker;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
