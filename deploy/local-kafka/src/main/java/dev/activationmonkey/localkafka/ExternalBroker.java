package dev.activationmonkey.localkafka;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** A broker this process did not start, known by its bootstrap servers. */
record ExternalBroker(String bootstrapServers) implements KafkaBroker {
  ExternalBroker {
    requireNonNull(bootstrapServers, "bootstrapServers is null");
  }

  @Override
  public void createTopic(String name, int partitions) {
    createTopic(bootstrapServers, name, partitions);
  }

  static void createTopic(String bootstrapServers, String name, int partitions) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      Topics.createReady(admin, name, Optional.of(partitions), Optional.of((short) 1), Duration.ofSeconds(30));
    }
  }
}
