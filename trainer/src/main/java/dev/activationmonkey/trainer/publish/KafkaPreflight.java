package dev.activationmonkey.trainer.publish;

import dev.activationmonkey.errors.ServiceUnavailableException;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;

/**
 * Before a run trains: a secured Kafka ({@code security.protocol} SSL or SASL_*) that refuses the trainer's credentials or
 * certificate fails the run at once (exit 4, one line), before anything is trained, spilled or sent. An unreachable
 * broker does not: snapshots spill to disk and are re-sent when it answers.
 */
public final class KafkaPreflight {
  private static final String PREFIX = "logging.kafka.properties.";

  private KafkaPreflight() {}

  public static void check(KafkaSettings settings) {
    String protocol = settings.properties().getOrDefault("security.protocol", "PLAINTEXT").toUpperCase(Locale.ROOT);
    if (protocol.equals("PLAINTEXT")) {
      return;
    }
    Properties properties = new Properties();
    SnapshotProducer.producerConfig(settings).forEach((k, v) -> {
      if (AdminClientConfig.configNames().contains((String) k)) {
        properties.put(k, v);
      }
    });
    properties.put(AdminClientConfig.CLIENT_ID_CONFIG, "activation-monkey-preflight-" + ProcessHandle.current().pid());
    properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
    try (Admin admin = Admin.create(properties)) {
      admin.describeCluster().nodes().get(15, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof AuthenticationException refused) {
        throw refused(settings.bootstrapServers(), refused);
      }
      // Unreachable or slow: the run spills and re-sends.
    } catch (TimeoutException e) {
      // the same
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static ServiceUnavailableException refused(String servers, AuthenticationException e) {
    if (e instanceof SslAuthenticationException) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      return new ServiceUnavailableException("the TLS handshake with Kafka at " + servers + " failed (" + root.getMessage()
          + "): the trainer does not trust the broker's certificate, or the broker not its. Check " + PREFIX
          + "ssl.truststore.location and " + PREFIX + "ssl.truststore.password.", e);
    }
    String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
    return new ServiceUnavailableException("Kafka at " + servers + " refused the trainer's credentials (" + reason + "). Check "
        + PREFIX + "sasl.mechanism and the user and password in " + PREFIX + "sasl.jaas.config.", e);
  }
}
