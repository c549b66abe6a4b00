package dev.activationmonkey.trainer.spec;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.activationmonkey.errors.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * A training job: data, network, training and logging, read from YAML and validated before Spark starts.
 * Every problem is reported as an {@link InvalidInputException} (exit code 2) whose message names the source,
 * the key path and what is allowed, e.g.
 * {@code job.yaml: network.layers[1].activation: unknown activation 'rleu'; allowed: cube, elu, ...}.
 *
 * <pre>{@code
 * JobSpec spec = JobSpec.load(Path.of("job.yaml"))
 *     .withBootstrapServers("broker:9092")
 *     .withEpochs(3);
 * }</pre>
 *
 * @param name run name (the run id is the name plus a time stamp and a random suffix)
 * @param tags free-form tags published with the run
 * @param text the YAML as submitted (published in the RunStart record)
 * @param sourceName where the YAML came from, for messages
 */
public record JobSpec(String name, Map<String, String> tags, DataSpec data, NetworkSpec network,
    TrainingSpec training, LoggingSpec logging, String text, String sourceName) {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  public JobSpec {
    requireNonNull(name, "name is null");
    tags = Map.copyOf(tags);
    requireNonNull(data, "data is null");
    requireNonNull(network, "network is null");
    requireNonNull(training, "training is null");
    requireNonNull(logging, "logging is null");
    requireNonNull(text, "text is null");
    requireNonNull(sourceName, "sourceName is null");
  }

  /** Reads and validates a YAML job spec file. */
  public static JobSpec load(Path yaml) {
    try {
      return parse(Files.readString(yaml, StandardCharsets.UTF_8), yaml.toString());
    } catch (NoSuchFileException e) {
      throw new InvalidInputException("job spec not found: " + yaml);
    } catch (IOException e) {
      throw new InvalidInputException("cannot read job spec " + yaml + ": " + e.getMessage(), e);
    }
  }

  /** Keys whose values are secrets: never copied into RunStart (nor anywhere else the spec is shown). */
  private static final java.util.regex.Pattern SECRET_KEY =
      java.util.regex.Pattern.compile("(?i).*(password|secret|jaas|token|credential|private[._-]?key).*");

  /**
   * The spec as submitted, for RunStart: the text itself, unless a key looks like a secret ({@code *password*},
   * {@code *jaas*}, {@code *secret*}, {@code *token*}, {@code *credential*}); then the spec re-written as YAML with
   * those values replaced by {@code [redacted]} (comments and layout are lost, the content kept).
   */
  public String redactedText() {
    try {
      JsonNode root = YAML.readTree(text);
      if (root == null || !redact(root)) {
        return text;
      }
      return "# secrets redacted by Activation Monkey\n" + YAML.writeValueAsString(root).replaceFirst("^---\\s*\n", "");
    } catch (JsonProcessingException e) {
      return "# not shown: the spec could not be re-read to redact its secrets\n";
    }
  }

  private static boolean redact(JsonNode node) {
    boolean any = false;
    if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode object) {
      for (java.util.Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (SECRET_KEY.matcher(name).matches() && object.get(name).isValueNode()) {
          object.put(name, "[redacted]");
          any = true;
        } else {
          any |= redact(object.get(name));
        }
      }
    } else if (node.isArray()) {
      for (JsonNode item : node) {
        any |= redact(item);
      }
    }
    return any;
  }

  /** Parses and validates YAML text; {@code sourceName} names it in messages. */
  public static JobSpec parse(String yaml, String sourceName) {
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new InvalidInputException(sourceName + ": not valid YAML: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"), e);
    }
    SpecNode top = new SpecNode(root, "", sourceName);
    String name = top.string("name", "run");
    if (!name.matches("[A-Za-z0-9._-]{1,100}")) {
      throw top.invalidKey("name", "'" + name + "' may only contain letters, digits, '.', '_' and '-'");
    }
    Map<String, String> tags = new TreeMap<>(top.stringMap("tags"));
    DataSpec data = DataSpec.read(top.object("data"));
    NetworkSpec network = NetworkSpec.read(top.object("network"), data);
    TrainingSpec training = TrainingSpec.read(top.object("training"));
    LoggingSpec logging = LoggingSpec.read(top.object("logging"));
    top.done();
    if ((network.isGraph() || network.zoo() != null) && training.trainingMaster().equals("shared-gradients")) {
      throw top.invalid("training.training-master", "shared-gradients trains networks of layers; network."
          + (network.isGraph() ? "graph-json" : "zoo") + " trains with parameter-averaging (or through the library's"
          + " SparkComputationGraph, docs/trainer.md)");
    }
    return new JobSpec(name, tags, data, network, training, logging, yaml, sourceName);
  }

  /** Reads a spec bundled on the classpath, such as the demo job. */
  public static JobSpec resource(String resource) {
    try (var in = JobSpec.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new InvalidInputException("no such bundled job spec: " + resource);
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "classpath:" + resource);
    } catch (IOException e) {
      throw new InvalidInputException("cannot read bundled job spec " + resource, e);
    }
  }

  /** The bundled demo: MLP 784-256-128-10 on the bundled MNIST split, 2 workers, 2 epochs. */
  public static JobSpec demo() {
    return resource("/dev/activationmonkey/trainer/demo-job.yaml");
  }

  /**
   * Command-line overrides; null fields keep the spec's value.
   */
  public record Overrides(String bootstrapServers, String topic, String master, Integer epochs) {}

  public JobSpec withOverrides(Overrides o) {
    JobSpec spec = this;
    if (o.bootstrapServers() != null) {
      spec = spec.withBootstrapServers(o.bootstrapServers());
    }
    if (o.topic() != null) {
      spec = spec.withTopic(o.topic());
    }
    if (o.master() != null) {
      spec = spec.withMaster(o.master());
    }
    if (o.epochs() != null) {
      spec = spec.withEpochs(o.epochs());
    }
    return spec;
  }

  public JobSpec withBootstrapServers(String servers) {
    return withLogging(logging.withKafka(logging.kafka().withBootstrapServers(servers)));
  }

  public JobSpec withTopic(String topic) {
    if (!topic.matches("[A-Za-z0-9._-]{1,249}")) {
      throw new InvalidInputException("--topic: '" + topic + "' is not a valid Kafka topic name");
    }
    return withLogging(logging.withKafka(logging.kafka().withTopic(topic)));
  }

  public JobSpec withMaster(String master) {
    TrainingSpec t = training;
    return withTraining(new TrainingSpec(t.epochs(), t.workers(), master, t.seed(), t.trainingMaster(),
        t.averagingFrequency(), t.threshold(), t.controllerAddress(), t.networkMask(), t.port(),
        t.checkpointDirectory(), t.evaluate(), t.stopOnNonFinite(), t.injectFailurePartition(), t.injectFailureAfter()));
  }

  public JobSpec withEpochs(int epochs) {
    if (epochs < 1) {
      throw new InvalidInputException("--epochs: must be at least 1, was " + epochs);
    }
    TrainingSpec t = training;
    return withTraining(new TrainingSpec(epochs, t.workers(), t.master(), t.seed(), t.trainingMaster(),
        t.averagingFrequency(), t.threshold(), t.controllerAddress(), t.networkMask(), t.port(),
        t.checkpointDirectory(), t.evaluate(), t.stopOnNonFinite(), t.injectFailurePartition(), t.injectFailureAfter()));
  }

  public JobSpec withTraining(TrainingSpec newTraining) {
    return new JobSpec(name, tags, data, network, newTraining, logging, text, sourceName);
  }

  public JobSpec withLogging(LoggingSpec newLogging) {
    return new JobSpec(name, tags, data, network, training, newLogging, text, sourceName);
  }
}
