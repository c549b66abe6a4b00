package dev.activationmonkey.localspark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;

/**
 * The one local Spark standalone cluster shared by all integration tests of a JVM: a master and two workers (one
 * single-core executor each per application), started on first use under a temporary directory, stopped — executors,
 * workers, master — when the JVM exits.
 */
public final class SparkFixture {
  private static LocalSpark shared;

  private SparkFixture() {}

  public static synchronized LocalSpark shared() {
    if (shared == null) {
      try {
        LocalSpark cluster = LocalSpark.builder()
            .stateDir(Files.createTempDirectory("monkey-spark-fixture"))
            .workers(2)
            .build();
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::stop, "monkey-spark-fixture-stop"));
        shared = cluster.start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return shared;
  }
}
