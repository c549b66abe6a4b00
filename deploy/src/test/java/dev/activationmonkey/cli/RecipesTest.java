package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.activationmonkey.collector.CollectorConfig;
import dev.activationmonkey.trainer.spec.JobSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recipes in deploy/recipes, checked as far as this machine can (no Docker engine, Kubernetes, YARN or systemd):
 * every YAML file parses, job specs and collector configurations validate, and the files the build files, units and
 * scripts name exist (or are what the build writes).
 */
class RecipesTest {
  private static final Path DEPLOY = Path.of(System.getProperty("user.dir"));
  private static final Path RECIPES = DEPLOY.resolve("recipes");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @TempDir Path temp;

  private static List<JsonNode> documents(Path file) throws Exception {
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
      it.forEachRemaining(docs::add);
    }
    return docs;
  }

  @Test
  void everyRecipeHasAReadmeSayingWhatDoesNotRunHereAndEveryYamlFileParses() throws Exception {
    try (Stream<Path> dirs = Files.list(RECIPES)) {
      for (Path recipe : dirs.filter(Files::isDirectory).toList()) {
        Path readme = recipe.resolve("README.md");
        assertTrue(Files.exists(readme), recipe + " has a README");
        assertTrue(Files.readString(readme).contains("Not run here"), readme + " says what cannot run here");
      }
    }
    int yamlFiles = 0;
    try (Stream<Path> files = Files.walk(RECIPES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
        assertFalse(documents(file).isEmpty(), file + " parses");
        yamlFiles++;
      }
    }
    assertTrue(yamlFiles >= 8, "the recipes' YAML files: " + yamlFiles);
  }

  @Test
  void jobSpecsAndCollectorConfigurationsValidate() throws Exception {
    for (String job : List.of("kubernetes/job.yaml", "yarn/job.yaml", "../src/dist/conf/jobs/sequences-lstm.yaml")) {
      JobSpec spec = JobSpec.parse(Files.readString(RECIPES.resolve(job)), job);
      assertFalse(spec.logging().kafka().bootstrapServers().isBlank(), job);
    }
    for (String config : List.of("docker/collector.yaml", "systemd/collector.yaml", "storage/collector-hdfs.yaml",
        "storage/collector-s3a.yaml", "../src/dist/conf/collector.yaml")) {
      CollectorConfig.builder().file(RECIPES.resolve(config)).build();
    }
    assertEquals("s3a://telemetry/monkey",
        CollectorConfig.builder().file(RECIPES.resolve("storage/collector-s3a.yaml")).build().datasetRoot());

    List<JsonNode> manifest = documents(RECIPES.resolve("kubernetes/collector-deployment.yaml"));
    assertEquals(List.of("ConfigMap", "Deployment"), manifest.stream().map(d -> d.get("kind").asText()).toList());
    Path embedded = temp.resolve("collector.yaml");
    Files.writeString(embedded, manifest.get(0).get("data").get("collector.yaml").asText());
    CollectorConfig fromConfigMap = CollectorConfig.builder().file(embedded).build();
    assertEquals("k8s-collector-0", fromConfigMap.groupInstanceId(), "a fixed static member id (pod names change)");
    JsonNode container = manifest.get(1).at("/spec/template/spec/containers/0");
    assertEquals("/etc/monkey", container.at("/volumeMounts/0/mountPath").asText());
    assertTrue(container.get("args").toString().contains("/etc/monkey/collector.yaml"));
    assertEquals("monkey-collector", manifest.get(1).at("/spec/template/spec/volumes/0/configMap/name").asText());
  }

  @Test
  void theContainerBuildFilesCopyFilesThatExistOrThatTheBuildWrites() throws Exception {
    String pom = Files.readString(DEPLOY.resolve("pom.xml"));
    Matcher parentVersion = Pattern.compile("<parent>.*?<version>([^<]+)</version>", Pattern.DOTALL).matcher(pom);
    assertTrue(parentVersion.find());
    String version = parentVersion.group(1);
    for (String dockerfile : List.of("docker/Dockerfile", "docker/Dockerfile.spark")) {
      String text = Files.readString(RECIPES.resolve(dockerfile));
      Matcher arg = Pattern.compile("(?m)^ARG VERSION=(\\S+)").matcher(text);
      if (arg.find()) {
        assertEquals(version, arg.group(1), dockerfile + ": the image's version is the project's");
      }
      Matcher copy = Pattern.compile("(?m)^(?:COPY|ADD) (\\S+) \\S+$").matcher(text);
      int copies = 0;
      while (copy.find()) {
        copies++;
        String source = copy.group(1).replace("${VERSION}", version);
        if (source.startsWith("target/")) {
          // Written by `mvn package`: the names the build gives them.
          assertTrue(source.equals("target/activation-monkey-" + version + "-dist.tar") || source.equals("target/spark-app/trainer-spark.jar"), source);
          assertTrue(pom.contains("<finalName>activation-monkey-${project.version}</finalName>") && pom.contains("trainer-spark.jar"), source);
        } else {
          assertTrue(Files.exists(DEPLOY.resolve(source)), dockerfile + ": " + source + " exists (build context deploy/)");
        }
      }
      assertTrue(copies >= 2, dockerfile);
    }
    JsonNode compose = documents(RECIPES.resolve("compose/compose.yaml")).get(0);
    Path context = RECIPES.resolve("compose").resolve(compose.at("/services/collector/build/context").asText()).normalize();
    assertEquals(DEPLOY.normalize(), context, "the compose build context is deploy/");
    assertTrue(Files.exists(context.resolve(compose.at("/services/collector/build/dockerfile").asText())));
    assertEquals("apache/kafka:4.1.1", compose.at("/services/kafka/image").asText(), "the broker version the project uses");
  }

  @Test
  void theUnitAndScriptsNameWhatTheDistributionHolds() throws Exception {
    String unit = Files.readString(RECIPES.resolve("systemd/monkey-collector.service"));
    assertTrue(unit.contains("ExecStart=/opt/activation-monkey/bin/monkey collect --config /etc/monkey/collector.yaml"), unit);
    assertTrue(Files.isExecutable(DEPLOY.resolve("src/dist/bin/monkey")), "the distribution's bin/monkey");
    String assembly = Files.readString(DEPLOY.resolve("src/assembly/dist.xml"));
    assertTrue(assembly.contains("java17-opens.txt") && assembly.contains("<outputDirectory>spark-app</outputDirectory>"), assembly);
    assertTrue(Files.exists(RECIPES.resolve("kubernetes/../../local-spark/src/main/resources/dev/activationmonkey/localspark/java17-opens.txt")));
    for (String script : List.of("kubernetes/spark-submit.sh", "yarn/spark-submit.sh")) {
      Process bash = new ProcessBuilder("bash", "-n", RECIPES.resolve(script).toString()).redirectErrorStream(true).start();
      String out = new String(bash.getInputStream().readAllBytes());
      assertEquals(0, bash.waitFor(), script + ": " + out);
      assertTrue(Files.readString(RECIPES.resolve(script)).contains("dev.activationmonkey.trainer.cli.TrainCommand"), script);
    }
  }
}
