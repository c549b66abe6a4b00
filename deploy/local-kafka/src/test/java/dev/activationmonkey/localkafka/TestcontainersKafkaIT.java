package dev.activationmonkey.localkafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The container alternative to {@link LocalKafka}; skipped where no Docker engine runs. */
@Testcontainers(disabledWithoutDocker = true)
class TestcontainersKafkaIT {
  @Test
  void containerBrokerServesProduceAndConsume() {
    KafkaBroker broker = TestcontainersKafka.start();
    broker.createTopic("container", 1);
    LocalKafkaIT.produce(broker.bootstrapServers(), "container", List.of("y"));
    assertEquals(List.of("y"), LocalKafkaIT.consumeAll(broker.bootstrapServers(), "container", 1));
  }
}
