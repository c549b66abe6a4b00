package dev.activationmonkey.trainer.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JobSpecRedactionTest {
  private static final String BASE = """
      name: r
      network: {layers: [{type: output, size: 10, activation: softmax}]}
      logging:
        kafka:
          bootstrap-servers: "b:9093"
      """;

  @Test
  void aSpecWithoutSecretsIsCopiedAsSubmitted() {
    String text = BASE + "# a comment stays\n";
    assertEquals(text, JobSpec.parse(text, "r.yaml").redactedText());
  }

  @Test
  void passwordLikeValuesAreRedactedWhereverTheyAreAndTheRestIsKept() {
    String text = BASE + """
          properties:
            security.protocol: SASL_SSL
            sasl.jaas.config: 'org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="hunter2";'
            ssl.truststore.password: trust-me
      """;
    String redacted = JobSpec.parse(text, "r.yaml").redactedText();
    assertFalse(redacted.contains("hunter2") || redacted.contains("trust-me"), redacted);
    assertTrue(redacted.contains("SASL_SSL") && redacted.contains("b:9093") && redacted.contains("softmax"), redacted);
    assertTrue(redacted.startsWith("# secrets redacted"), redacted);
    assertEquals(2, redacted.split("\\[redacted]", -1).length - 1, redacted);
  }
}
