package dev.activationmonkey.trainer;

import dev.activationmonkey.trainer.spec.JobSpec;
import java.nio.file.Path;

/** Small, fast job specs for the integration tests. */
final class TinyJobs {
  private TinyJobs() {}

  /**
   * {@code extraTraining} lines must start with two spaces (keys under training), {@code kafkaExtra} lines
   * with four (keys under logging.kafka).
   *
   * <p>256 bundled MNIST digits (192 train, 64 test), batch 16, a 784-16-10 MLP, 2 workers, every iteration
   * logged with every kind.
   */
  static JobSpec mlp(String servers, String topic, Path spill, String master, String extraTraining, String kafkaExtra) {
    return mlp(servers, topic, spill, master, extraTraining, kafkaExtra, 1);
  }

  static JobSpec mlp(String servers, String topic, Path spill, String master, String extraTraining, String kafkaExtra,
      int epochs) {
    String yaml = """
        name: tiny
        data:
          limit: 256
          test-fraction: 0.25
          batch-size: 16
        network:
          updater: {type: sgd, learning-rate: 0.1}
          layers:
            - {type: dense, size: 16, activation: relu}
            - {type: output, size: 10, activation: softmax}
        training:
          epochs: %d
          workers: 2
          master: "%s"
        %s
        %s
        logging:
          every: 1
          histogram-bins: 8
          sample: {examples: 2}
          kafka:
            bootstrap-servers: %s
            topic: %s
            spill-dir: %s
        %s
        """.formatted(epochs, master, extraTraining.contains("shared-gradients") ? ""
            : "  parameter-averaging: {averaging-frequency: 2}", extraTraining, servers, topic, spill, kafkaExtra);
    return JobSpec.parse(yaml, "tiny-job.yaml");
  }
}
