package dev.activationmonkey.trainer.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.trainer.cli.TrainCommand;
import dev.activationmonkey.trainer.listener.ListenerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobSpecTest {
  private static final String LAYERS = """
      network:
        layers:
          - {type: dense, size: 8, activation: relu}
          - {type: output, size: 10}
      """;

  private static String message(String yaml) {
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> JobSpec.parse(yaml, "job.yaml"));
    assertEquals(ExitCode.INVALID_INPUT, e.exitCode());
    return e.getMessage();
  }

  @Test
  void defaults() {
    JobSpec spec = JobSpec.parse(LAYERS, "job.yaml");
    assertEquals("mnist", spec.data().format());
    assertEquals("bundled", spec.data().path());
    assertEquals(0.2, spec.data().testFraction());
    assertEquals(64, spec.data().batchSize());
    assertEquals("scale", spec.data().normalize());
    assertEquals(1, spec.training().epochs());
    assertEquals(2, spec.training().workers());
    assertEquals("local[2]", spec.training().effectiveMaster());
    assertEquals("parameter-averaging", spec.training().trainingMaster());
    assertEquals(EnumSet.allOf(Kind.class), spec.logging().kinds());
    assertEquals(10, spec.logging().every());
    assertEquals(20, spec.logging().stats().histogramBins());
    assertEquals(ListenerConfig.AUTO_COPY_BUFFER, spec.logging().copyBufferBytes());
    assertEquals("monkey.snapshots", spec.logging().kafka().topic());
    assertEquals("softmax", spec.network().layers().get(1).activation());
    assertEquals("mcxent", spec.network().layers().get(1).loss());
    assertEquals("adam", spec.network().updater().type());
  }

  @Test
  void graphJsonExcludesLayersConfigurationJsonAndGradientSharing() {
    JobSpec graph = JobSpec.parse("network: {graph-json: graph.json}\n", "job.yaml");
    assertTrue(graph.network().isGraph());
    assertEquals("graph.json", graph.network().graphJson());
    assertEquals("job.yaml: network.graph-json: set either graph-json or layers, not both",
        message(LAYERS.replace("network:", "network:\n  graph-json: graph.json")));
    assertEquals("job.yaml: network.graph-json: set either configuration-json or graph-json, not both",
        message("network: {graph-json: g.json, configuration-json: m.json}\n"));
    String m = message("network: {graph-json: graph.json}\ntraining: {training-master: shared-gradients}\n");
    assertTrue(m.startsWith("job.yaml: training.training-master: shared-gradients trains networks of layers"), m);
    String unknown = message("network: {graph-json: graph.json, grahp-json: typo.json}\n");
    assertTrue(unknown.contains("network.grahp-json"), "unknown keys still fail, by name: " + unknown);
  }

  @Test
  void zooTakesADl4jArchitectureByNameWithImageInput() {
    JobSpec lenet = JobSpec.parse("network: {zoo: lenet}\n", "job.yaml");
    assertEquals("LeNet", lenet.network().zoo());
    assertEquals("image", lenet.network().input());
    assertEquals(28, lenet.network().imageHeight());
    String m = message("network: {zoo: lenat}\n");
    assertTrue(m.startsWith("job.yaml: network.zoo: unknown zoo architecture 'lenat'; allowed: LeNet, SimpleCNN"), m);
    String small = message("network: {zoo: resnet50}\n");
    assertTrue(small.startsWith("job.yaml: network.zoo: ResNet50 needs images of at least 69 x 69"), small);
    assertTrue(small.contains("the input is 28 x 28"), small);
    assertEquals("job.yaml: network.zoo: set either zoo or layers, not both",
        message(LAYERS.replace("network:", "network:\n  zoo: LeNet")));
    assertTrue(message("network: {zoo: SimpleCNN}\ntraining: {training-master: shared-gradients}\n")
        .contains("network.zoo trains with parameter-averaging"));
  }

  @Test
  void unknownActivationNamesTheKeyPathAndTheAllowedNames() {
    String m = message(LAYERS.replace("activation: relu", "activation: rleu"));
    assertTrue(m.startsWith("job.yaml: network.layers[0].activation: unknown activation 'rleu'; allowed: "), m);
    assertTrue(m.contains("relu") && m.contains("leakyrelu") && m.contains("softplus"), m);
  }

  @Test
  void everyDl4jActivationAndWeightInitIsAcceptedByName() {
    for (org.nd4j.linalg.activations.Activation a : org.nd4j.linalg.activations.Activation.values()) {
      JobSpec.parse(LAYERS.replace("activation: relu", "activation: " + a.name().toLowerCase()), "job.yaml");
    }
    JobSpec spec = JobSpec.parse(LAYERS.replace("activation: relu", "activation: leaky-relu, weight-init: he"), "job.yaml");
    assertEquals("leakyrelu", spec.network().layers().get(0).activation());
    assertEquals("relu", spec.network().layers().get(0).weightInit());
  }

  @Test
  void unknownKeyIsRejectedWithTheKeysAllowedThere() {
    String m = message(LAYERS + "training:\n  epoch: 3\n");
    assertTrue(m.startsWith("job.yaml: training.epoch: unknown key; allowed here: "), m);
    assertTrue(m.contains("epochs"), m);
  }

  @Test
  void wrongTypeAndImpossibleValues() {
    assertTrue(message(LAYERS + "training:\n  epochs: many\n")
        .startsWith("job.yaml: training.epochs: expected a whole number, got 'many'"));
    assertTrue(message(LAYERS + "training:\n  workers: 0\n").contains("training.workers: 0 is out of range; allowed: 1 to 100000"));
    assertTrue(message(LAYERS + "logging:\n  kinds: [activations, weights]\n")
        .contains("logging.kinds: unknown kind 'weights'; allowed: activations, gradients, parameters, updates"));
    assertTrue(message(LAYERS + "training:\n  training-master: ring\n")
        .contains("allowed: parameter-averaging, shared-gradients"));
    assertTrue(message(LAYERS + "logging:\n  kafka:\n    properties: {enable.idempotence: 'false'}\n")
        .contains("logging.kafka.properties.enable.idempotence: set by the trainer"));
    assertTrue(message("network:\n  layers:\n    - {type: dense, size: 8}\n")
        .contains("network.layers[0].type: the last layer must be of type output"));
    assertTrue(message(LAYERS + "logging:\n  copy-buffer-mb: -1\n").contains("logging.copy-buffer-mb: expected auto or a whole number of MiB from 0 to 1048576, got -1"));
    assertEquals(0, JobSpec.parse(LAYERS + "logging:\n  copy-buffer-mb: 0\n", "job.yaml").logging().copyBufferBytes());
    assertEquals(32L << 20, JobSpec.parse(LAYERS + "logging:\n  copy-buffer-mb: 32\n", "job.yaml").logging().copyBufferBytes());
    assertEquals(ListenerConfig.AUTO_COPY_BUFFER,
        JobSpec.parse(LAYERS + "logging:\n  copy-buffer-mb: auto\n", "job.yaml").logging().copyBufferBytes());
    assertTrue(message("network: {}\n").contains("network.layers: required"));
    assertTrue(message("data: [1, 2]\n").contains("data: expected a mapping"));
    assertTrue(message("a: [\n").startsWith("job.yaml: not valid YAML"));
  }

  @Test
  void kafkaPropertiesPassThroughAndOverridesApply() {
    JobSpec spec = JobSpec.parse(LAYERS + """
        logging:
          kafka:
            properties:
              security.protocol: SASL_SSL
              sasl.mechanism: PLAIN
        """, "job.yaml").withOverrides(new JobSpec.Overrides("b:9092", "t1", "local[3]", 4));
    assertEquals("SASL_SSL", spec.logging().kafka().properties().get("security.protocol"));
    assertEquals("b:9092", spec.logging().kafka().bootstrapServers());
    assertEquals("t1", spec.logging().kafka().topic());
    assertEquals("local[3]", spec.training().effectiveMaster());
    assertEquals(4, spec.training().epochs());
  }

  @Test
  void theDemoJobIsValid() {
    JobSpec demo = JobSpec.demo();
    assertEquals(3, demo.network().layers().size());
    assertEquals(2, demo.training().epochs());
  }

  @Test
  void theCommandExitsWith2AndTheMessageOnAnInvalidSpec(@TempDir Path dir) throws Exception {
    Path job = dir.resolve("job.yaml");
    Files.writeString(job, LAYERS.replace("size: 8", "size: -3"));
    assertEquals(ExitCode.INVALID_INPUT, TrainCommand.execute("--config", job.toString(), "--validate-only"));
    assertEquals(ExitCode.INVALID_INPUT, TrainCommand.execute("--config", dir.resolve("missing.yaml").toString()));
    Files.writeString(job, LAYERS);
    assertEquals(ExitCode.OK, TrainCommand.execute("--config", job.toString(), "--validate-only"));
  }

  @Test
  void histogramKindsDefaultToActivationsAndGradientsAndAreValidated() {
    JobSpec spec = JobSpec.parse(LAYERS, "job.yaml");
    assertEquals(EnumSet.of(Kind.ACTIVATION, Kind.GRADIENT), spec.logging().histogramKinds());
    JobSpec all = JobSpec.parse(LAYERS + "logging: {histogram-kinds: [parameters, updates]}\n", "job.yaml");
    assertEquals(EnumSet.of(Kind.PARAMETER, Kind.UPDATE), all.logging().histogramKinds());
    String m = message(LAYERS + "logging: {histogram-kinds: [weights]}\n");
    assertTrue(m.contains("logging.histogram-kinds") && m.contains("weights") && m.contains("activations"), m);
  }

  @Test
  void trainingDefaultsForAveragingAndDivergence() {
    JobSpec spec = JobSpec.parse(LAYERS, "job.yaml");
    assertEquals(0, spec.training().averagingFrequency(), "once per epoch");
    assertTrue(spec.training().stopOnNonFinite());
    assertEquals(false, JobSpec.parse(LAYERS + "training: {stop-on-non-finite: false}", "job.yaml").training()
        .stopOnNonFinite());
  }

  @Test
  void removedAndMisplacedDataKeysAreNamed() {
    assertTrue(message(LAYERS + "training: {parameter-averaging: {prefetch: 2}}")
        .contains("training.parameter-averaging.prefetch: no longer used"));
    assertTrue(message(LAYERS + "data: {format: datasets}").contains("data.path: required"));
    assertTrue(message(LAYERS + "data: {format: datasets, path: /d, normalize: scale}")
        .contains("data.normalize: DataSet files are trained as they are"));
    assertTrue(message(LAYERS + "data: {format: datasets, path: /d, limit: 5}").contains("data.limit: does not apply"));
  }

  private static final String SEQUENCES = """
      data: {format: csv-sequences, path: /seq, sequence-labels: last-step}
      network:
        layers:
          - {type: lstm, size: 8, name: encoder}
          - {type: bidirectional, mode: add, layer: {type: simple-rnn, size: 4, activation: relu}}
          - {type: graves-lstm, size: 4, gate-activation: hardsigmoid}
          - {type: rnn-output}
      """;

  @Test
  void recurrentLayersOnSequences() {
    JobSpec spec = JobSpec.parse(SEQUENCES, "job.yaml");
    assertEquals("csv-sequences", spec.data().format());
    assertEquals("last-step", spec.data().sequenceLabels());
    assertEquals("none", spec.data().normalize());
    assertEquals("recurrent", spec.network().input());
    LayerSpec lstm = spec.network().layers().get(0);
    assertEquals("tanh", lstm.activation());
    assertEquals("sigmoid", lstm.gateActivation());
    LayerSpec bidirectional = spec.network().layers().get(1);
    assertEquals("add", bidirectional.mode());
    assertEquals("simple-rnn", bidirectional.wrapped().type());
    assertEquals("relu", bidirectional.wrapped().activation());
    assertEquals("hardsigmoid", spec.network().layers().get(2).gateActivation());
    LayerSpec output = spec.network().layers().get(3);
    assertEquals("softmax", output.activation());
    assertEquals("mcxent", output.loss());
    assertEquals("per-step", JobSpec.parse(SEQUENCES.replace(", sequence-labels: last-step", ""), "job.yaml").data()
        .sequenceLabels());
  }

  @Test
  void recurrentMistakesNameTheKeyAndTheFix() {
    assertEquals("job.yaml: network.layers[0].type: lstm takes sequences: set data.format: csv-sequences (or use dense"
        + " and output)", message("network: {layers: [{type: lstm, size: 4}, {type: output}]}"));
    assertEquals("job.yaml: network.layers[3].type: sequences end in an rnn-output layer (an output per time step),"
        + " not output", message(SEQUENCES.replace("rnn-output", "output")));
    assertEquals("job.yaml: network.layers[1].layer.type: bidirectional wraps lstm, graves-lstm or simple-rnn, not"
        + " dense", message(SEQUENCES.replace("type: simple-rnn", "type: dense")));
    assertTrue(message(SEQUENCES.replace(", layer: {type: simple-rnn, size: 4, activation: relu}", ""))
        .contains("network.layers[1].layer: required"));
    assertTrue(message(SEQUENCES.replace("size: 8, ", "")).contains("network.layers[0].size: required"));
    assertEquals("job.yaml: data.sequence-labels: only applies to format: csv-sequences",
        message(LAYERS + "data: {format: csv, path: a.csv, sequence-labels: last-step}"));
    assertTrue(message(SEQUENCES.replace("last-step", "first-step")).contains("data.sequence-labels"));
    assertEquals("job.yaml: data.normalize: scale (divide by 255) is for images; sequences take standardize, min-max or"
        + " none", message(SEQUENCES.replace("last-step", "last-step, normalize: scale")));
    assertEquals("job.yaml: network.input.type: recurrent input takes sequences: set data.format: csv-sequences",
        message(LAYERS.replace("network:", "network:\n  input: {type: recurrent}")));
  }
}
