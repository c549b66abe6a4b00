package dev.activationmonkey.localspark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.localspark.app.ExecutorReportApp;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalSparkIT {
  @TempDir Path dir;

  @Test
  void startsAClusterWhoseExecutorsAreJvmsOfTheirOwnAndStopsEverything() throws Exception {
    LocalSpark cluster = LocalSpark.builder().stateDir(dir.resolve("spark")).workers(2).build();
    List<ProcessHandle> started = new ArrayList<>();
    try {
      cluster.start();
      Map<String, Long> pids = cluster.pids();
      assertEquals(List.of("master", "worker-1", "worker-2"), List.copyOf(pids.keySet()));
      pids.values().forEach(pid -> started.add(ProcessHandle.of(pid).orElseThrow()));
      cluster.start();
      assertEquals(pids, cluster.pids(), "a second start reuses the running cluster");
      assertTrue(cluster.masterUrl().startsWith("spark://127.0.0.1:"), cluster.masterUrl());

      List<String> printed = new ArrayList<>();
      SubmitResult result = cluster.submit(SubmitRequest.builder(appJar(), ExecutorReportApp.class.getName())
          .args("3").onOutput(printed::add).build());
      assertEquals(3, result.exitCode(), "the application's exit status comes back; log " + result.log() + ":\n"
          + Files.readString(result.log()));
      assertTrue(printed.contains("master " + cluster.masterUrl()), result.output());
      String line = result.output().lines().filter(l -> l.startsWith("executors ")).findFirst().orElseThrow();
      List<String[]> executors = Arrays.stream(line.substring("executors ".length()).split(","))
          .map(report -> report.split("\\|")).toList();
      Set<String> executorIds = executors.stream().map(e -> e[0]).collect(Collectors.toSet());
      Set<String> executorPids = executors.stream().map(e -> e[1]).collect(Collectors.toSet());
      assertEquals(2, executorIds.size(), "tasks ran on two executors: " + line);
      assertEquals(2, executorPids.size(), "in two JVMs: " + line);
      for (String[] e : executors) {
        assertFalse(pids.containsValue(Long.parseLong(e[1])), "an executor is not a daemon: " + line);
        assertEquals("1", e[2], "executors get OMP_NUM_THREADS=1: " + line);
        assertEquals("true", e[3], "executors get the vector module: " + line);
      }
      assertTrue(Files.readString(result.log()).contains("org.apache.spark.deploy.SparkSubmit"), "the log starts with the command");
      try (Stream<Path> logs = Files.walk(dir.resolve("spark"))) {
        assertTrue(logs.anyMatch(p -> p.getFileName().toString().equals("stderr")), "executor logs in the work dirs");
      }

      try (Stream<Path> work = Files.walk(dir.resolve("spark"))) {
        assertTrue(work.anyMatch(p -> p.getFileName().toString().equals("app.jar") && p.toString().contains("/worker-")),
            "the executors fetched the application jar into their work directories");
      }

      cluster.stop();
      assertFalse(cluster.isRunning());
      try (Stream<Path> work = Files.walk(dir.resolve("spark"))) {
        assertEquals(List.of(), work.filter(p -> p.getFileName().toString().endsWith(".jar")
            && p.toString().contains("/worker-")).toList(), "stop deletes the executors' copies of the jars");
      }
      for (ProcessHandle process : started) {
        assertFalse(process.isAlive(), "stopped: " + process.pid());
      }
      for (String pid : executorPids) {
        assertFalse(ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false), "executor ended");
      }
    } finally {
      cluster.stop();
    }
  }

  @Test
  void stopLeavesForeignProcessesAlone() throws Exception {
    Process sleeper = new ProcessBuilder("sleep", "60").start();
    try {
      Path state = dir.resolve("foreign");
      Files.createDirectories(state);
      Files.writeString(state.resolve("cluster.pids"), "master=" + sleeper.pid() + "\n");
      LocalSpark cluster = LocalSpark.builder().stateDir(state).build();
      assertFalse(cluster.isRunning());
      assertTrue(cluster.pids().isEmpty(), "a pid file naming a process that is not ours names no daemon");
      cluster.stop();
      assertTrue(sleeper.isAlive(), "stop killed a process it did not start");
    } finally {
      sleeper.destroyForcibly();
    }
  }

  @Test
  void aMissingJarListNamesTheFile() {
    LocalSpark cluster = LocalSpark.builder().stateDir(dir).classpathFile(dir.resolve("nowhere.txt")).build();
    InvalidInputException e = assertThrows(InvalidInputException.class, cluster::start);
    assertTrue(e.getMessage().contains("nowhere.txt"), e.getMessage());
    assertTrue(e.getMessage().contains("mvn -pl deploy/local-spark"), e.getMessage());
  }

  /** The test application's classes, packed as an application jar (Spark itself comes from the cluster). */
  private Path appJar() throws IOException {
    Path classes = Path.of(ExecutorReportApp.class.getProtectionDomain().getCodeSource().getLocation().getPath());
    Path jar = dir.resolve("app.jar");
    String pkg = ExecutorReportApp.class.getPackageName().replace('.', '/');
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
        Stream<Path> files = Files.walk(classes.resolve(pkg))) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        out.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
        try (var in = Files.newInputStream(file)) {
          in.transferTo((OutputStream) out);
        }
        out.closeEntry();
      }
    }
    return jar;
  }
}
