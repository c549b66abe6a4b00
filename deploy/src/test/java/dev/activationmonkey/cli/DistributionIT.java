package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution archive, unpacked outside the source tree and run with nothing but the JDK: an environment holding
 * only JAVA_HOME and a PATH without Maven, the working directory outside the repository.
 */
class DistributionIT {
  @TempDir Path dir;

  private record Result(int exitCode, String output) {}

  private Result run(Path home, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin/monkey").toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.clear();
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("PATH", "/usr/bin:/bin");
    env.put("HOME", dir.toString());
    env.put("MONKEY_JAVA_OPTS", "-Xmx1g");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(3, TimeUnit.MINUTES), String.join(" ", args) + " did not finish");
    return new Result(process.exitValue(), output);
  }

  @Test
  void theUnpackedArchiveRunsWithOnlyAJdk() throws Exception {
    String archive = System.getProperty("monkey.dist");
    assumeTrue(archive != null && Files.exists(Path.of(archive)), "no distribution archive (built with the spark-submit jar; not with -DskipSparkJar)");
    Process untar = new ProcessBuilder("tar", "-xf", archive, "-C", dir.toString()).redirectErrorStream(true).start();
    String untarOutput = new String(untar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, untar.waitFor(), untarOutput);

    // Reproducible: every entry carries project.build.outputTimestamp (2026-01-01T00:00:00Z).
    Process list = new ProcessBuilder("tar", "--utc", "-tvf", archive).redirectErrorStream(true).start();
    List<String> entries = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertEquals(0, list.waitFor());
    assertTrue(entries.size() > 100, "lib/ holds the jars: " + entries.size() + " entries");
    assertTrue(entries.stream().allMatch(e -> e.contains(" 2026-01-01 00:00")), "fixed entry times: "
        + entries.stream().filter(e -> !e.contains(" 2026-01-01 00:00")).limit(3).toList());

    Path home;
    try (var top = Files.list(dir)) {
      home = top.filter(p -> p.getFileName().toString().startsWith("activation-monkey-")).findFirst().orElseThrow();
    }
    for (String file : List.of("bin/monkey", "conf/jobs/mnist-mlp.yaml", "conf/jobs/sequences-lstm.yaml",
        "conf/collector.yaml", "conf/java17-opens.txt",
        "spark-app/trainer-spark.jar", "README.md")) {
      assertTrue(Files.exists(home.resolve(file)), file);
    }
    try (var kafka = Files.list(home.resolve("lib/kafka"))) {
      assertTrue(kafka.anyMatch(p -> p.getFileName().toString().startsWith("kafka_2.13-")), "the broker's jars in lib/kafka");
    }

    Result help = run(home, "--help");
    assertEquals(0, help.exitCode(), help.output());
    assertTrue(help.output().contains("Usage: monkey") && help.output().contains("collect"), help.output());

    // Real commands: the example job spec validates, and a local broker starts from lib/kafka, answers and stops.
    Result validate = run(home, "train", "--config", home.resolve("conf/jobs/mnist-mlp.yaml").toString(), "--validate-only");
    assertEquals(0, validate.exitCode(), validate.output());
    Path kafkaDir = dir.resolve("kafka");
    Result start = run(home, "kafka", "start", "--data-dir", kafkaDir.toString(), "--port", "0", "--heap", "256m");
    try {
      assertEquals(0, start.exitCode(), start.output());
      Result status = run(home, "kafka", "status", "--data-dir", kafkaDir.toString(), "--port", "0");
      assertEquals(0, status.exitCode(), status.output());
      assertTrue(status.output().lines().anyMatch(l -> l.startsWith("running: pid")), status.output());
    } finally {
      Result stop = run(home, "kafka", "stop", "--data-dir", kafkaDir.toString(), "--port", "0");
      assertEquals(0, stop.exitCode(), stop.output());
    }
  }
}
