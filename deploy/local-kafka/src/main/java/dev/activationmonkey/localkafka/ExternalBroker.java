package dev.activationmonkey.localkafka;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

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
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause().getMessage(), e);
      }
    } catch (InterruptedException | TimeoutException e) {
      throw new IllegalStateException("cannot create topic " + name + " at " + bootstrapServers, e);
    }
  }
}
