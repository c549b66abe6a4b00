package dev.activationmonkey.collector;

import dev.activationmonkey.errors.ServiceUnavailableException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;

/** The one line a client refused by the broker (credentials, or a certificate it does not trust) fails with. */
final class KafkaSecurity {
  private KafkaSecurity() {}

  /**
   * Exit 4, naming what failed and the settings to check ({@code prefix}: where the Kafka client properties are set).
   * The broker's message never contains the secret.
   */
  static ServiceUnavailableException refused(String who, String servers, AuthenticationException e, String prefix) {
    String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
    if (e instanceof SslAuthenticationException) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      return new ServiceUnavailableException("the TLS handshake with Kafka at " + servers + " failed (" + root.getMessage()
          + "): " + who + " does not trust the broker's certificate, or the broker not its. Check " + prefix
          + "ssl.truststore.location and " + prefix + "ssl.truststore.password.", e);
    }
    return new ServiceUnavailableException("Kafka at " + servers + " refused " + who + "'s credentials (" + reason + "). Check "
        + prefix + "sasl.mechanism and the user and password in " + prefix + "sasl.jaas.config.", e);
  }
}
