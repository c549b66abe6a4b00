package dev.activationmonkey.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.localkafka.KafkaBroker;
import dev.activationmonkey.localkafka.KafkaFixture;
import dev.activationmonkey.snapshot.SnapshotCodec;
import dev.activationmonkey.snapshot.avro.Evaluation;
import dev.activationmonkey.snapshot.avro.LayerSnapshot;
import dev.activationmonkey.snapshot.avro.RunEnd;
import dev.activationmonkey.snapshot.avro.RunStart;
import dev.activationmonkey.snapshot.avro.RunStatus;
import dev.activationmonkey.trainer.api.ActivationMonkey;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecordBase;
import org.junit.jupiter.api.Test;

/**
 * examples/own-spark-job, a standalone Maven project that depends on the trainer artifact, built with this build's
 * Maven and run as its own JVM (its own Spark local job, its own SparkComputationGraph) against the real broker.
 *
 * <p>The trainer, snapshot and parent artifacts of this build are installed into a private local repository under
 * {@code target/example-build}, never into the shared one ({@code mvn install} there would change what other builds on
 * the machine resolve). Every other artifact is read from this build's local repository through symbolic links, offline:
 * the example needs nothing the trainer's own build has not fetched.
 */
class ExampleProjectIT {
  private static final String VERSION = "0.1.0-SNAPSHOT";
  private static final Pattern SENT = Pattern.compile("activation-monkey run (\\S+): (\\d+) snapshots sent");

  @Test
  void theExampleProjectBuildsAgainstTheInstalledArtifactAndItsRunIsOnTheTopic() throws Exception {
    Path root = Path.of(System.getProperty("monkey.project.root"));
    Path work = root.resolve("trainer/target/example-build");
    deleteTree(work);
    Path repo = work.resolve("repository");
    linkThirdPartyArtifacts(Path.of(System.getProperty("monkey.maven.repo")), repo);
    install(repo, "activation-monkey-parent", root.resolve("pom.xml"), null);
    install(repo, "snapshot", root.resolve("snapshot/pom.xml"), jarOf(SnapshotCodec.class, work));
    install(repo, "trainer", root.resolve("trainer/pom.xml"), jarOf(ActivationMonkey.class, work));
    Path project = work.resolve("own-spark-job");
    copyTree(root.resolve("examples/own-spark-job"), project, Set.of("target"));

    long t = System.nanoTime();
    String mvn = Path.of(System.getProperty("monkey.maven.home"), "bin", "mvn").toString();
    String build = run(List.of(mvn, "-o", "-B", "-q", "-Dmaven.repo.local=" + repo, "-f", project.resolve("pom.xml")
        .toString(), "-DskipTests", "package", "dependency:build-classpath", "-Dmdep.outputFile=classpath.txt"),
        project, work.resolve("build.log"), 300);
    System.out.printf("example project: built in %.1f s%n", (System.nanoTime() - t) / 1e9);

    KafkaBroker broker = KafkaFixture.shared();
    String topic = "example-project-it-" + System.nanoTime();
    broker.createTopic(topic, 2);
    List<String> java = new ArrayList<>();
    java.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // The Java 17 flags this test JVM was started with (Spark, ND4J, the vector API): a job needs the same.
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-modules") || a.startsWith("-Daeron"))
        .forEach(java::add);
    java.addAll(List.of("-Xmx1g", "-cp", project.resolve("target/own-spark-job-1.0.0.jar") + File.pathSeparator
        + Files.readString(project.resolve("classpath.txt")).trim(), "com.example.ownjob.OwnSparkJob",
        broker.bootstrapServers(), topic));
    t = System.nanoTime();
    String output = run(java, project, work.resolve("run.log"), 300);
    System.out.printf("example project: ran in %.1f s%n", (System.nanoTime() - t) / 1e9);
    Matcher m = SENT.matcher(output);
    assertTrue(m.find(), "the job prints its counts; output in " + work.resolve("run.log") + (build.isBlank() ? ""
        : "\nbuild:\n" + build));
    String runId = m.group(1);
    long sent = Long.parseLong(m.group(2));
    System.out.printf("example project: run %s, %d snapshots sent%n", runId, sent);

    List<SpecificRecordBase> records = TopicReader.readAll(broker.bootstrapServers(), topic,
        r -> r.stream().anyMatch(x -> x instanceof RunEnd), Duration.ofSeconds(60));
    List<LayerSnapshot> snapshots = records.stream().filter(r -> r instanceof LayerSnapshot)
        .map(r -> (LayerSnapshot) r).toList();
    assertTrue(sent > 0, "the job logged something");
    assertEquals(sent, snapshots.size(), "snapshots the job counted = snapshot records on the topic");
    assertTrue(snapshots.stream().allMatch(s -> s.getRunId().toString().equals(runId)));
    assertEquals(Set.of("hidden1", "hidden2", "residual", "output"),
        snapshots.stream().map(s -> s.getLayerName().toString()).collect(Collectors.toSet()),
        "every vertex of the job's graph, by name");
    RunStart start = records.stream().filter(r -> r instanceof RunStart).map(r -> (RunStart) r).findFirst()
        .orElseThrow();
    assertEquals("ParameterAveragingTrainingMaster",
        start.getTrainingMaster().toString());
    assertEquals(3, records.stream().filter(r -> r instanceof Evaluation).count());
    RunEnd end = records.stream().filter(r -> r instanceof RunEnd).map(r -> (RunEnd) r).findFirst().orElseThrow();
    assertEquals(RunStatus.SUCCEEDED, end.getStatus());
    assertEquals(sent, end.getSnapshotsSent());
    assertEquals(3, end.getEpochs());
  }

  /**
   * Links every top-level directory of {@code shared} into {@code repo}, except this project's group
   * ({@code dev/activationmonkey}), which stays a real, private directory.
   */
  private static void linkThirdPartyArtifacts(Path shared, Path repo) throws IOException {
    Files.createDirectories(repo.resolve("dev/activationmonkey"));
    try (Stream<Path> top = Files.list(shared)) {
      for (Path entry : top.toList()) {
        String name = entry.getFileName().toString();
        if (name.equals("dev")) {
          try (Stream<Path> dev = Files.list(entry)) {
            for (Path group : dev.toList()) {
              if (!group.getFileName().toString().equals("activationmonkey")) {
                Files.createSymbolicLink(repo.resolve("dev").resolve(group.getFileName().toString()), group);
              }
            }
          }
        } else {
          Files.createSymbolicLink(repo.resolve(name), entry);
        }
      }
    }
  }

  /** What {@code mvn install} puts in a local repository for one artifact: its pom and (unless a pom) its jar. */
  private static void install(Path repo, String artifact, Path pom, Path jar) throws IOException {
    Path dir = repo.resolve("dev/activationmonkey").resolve(artifact).resolve(VERSION);
    Files.createDirectories(dir);
    Files.copy(pom, dir.resolve(artifact + "-" + VERSION + ".pom"), StandardCopyOption.REPLACE_EXISTING);
    if (jar != null) {
      Files.copy(jar, dir.resolve(artifact + "-" + VERSION + ".jar"), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** The jar a class was loaded from, or, when it came from a classes directory, that directory packed as a jar. */
  private static Path jarOf(Class<?> type, Path work) throws Exception {
    Path location = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (Files.isRegularFile(location)) {
      return location;
    }
    Path jar = work.resolve(type.getSimpleName() + "-classes.jar");
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream zip = new JarOutputStream(out);
        Stream<Path> files = Files.walk(location)) {
      for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
        zip.putNextEntry(new JarEntry(location.relativize(file).toString().replace('\\', '/')));
        Files.copy(file, zip);
        zip.closeEntry();
      }
    }
    return jar;
  }

  /** Runs a command to completion; its output goes to {@code log} and is returned. */
  private static String run(List<String> command, Path directory, Path log, long timeoutSeconds) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().put("OMP_NUM_THREADS", "1");
    Process process = builder.start();
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("timed out after " + timeoutSeconds + " s: " + command + "; output in " + log);
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, process.exitValue(), () -> "exit status of " + command.get(0) + "; output ("
        + log + "):\n" + tail(output));
    return output;
  }

  private static String tail(String text) {
    return text.length() <= 6000 ? text : "..." + text.substring(text.length() - 6000);
  }

  private static void copyTree(Path from, Path to, Set<String> skip) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path file : files.filter(f -> from.relativize(f).toString().isEmpty()
          || !skip.contains(from.relativize(f).getName(0).toString())).toList()) {
        Path target = to.resolve(from.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(target);
        } else {
          Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  /** Deletes a tree without following links (the repository's links point into the shared one). */
  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(file);
      }
    }
  }
}
