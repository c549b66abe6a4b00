package dev.activationmonkey.collector;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * An S3-compatible server for the integration tests: Adobe's S3Mock, its self-contained Spring Boot jar run as its
 * own process (no Docker) on free ports of 127.0.0.1, objects under a temporary directory, one bucket
 * ({@link #BUCKET}). Shared by the tests of a JVM: started on first use, stopped when the JVM exits. The jar is the
 * one the collector's build copies to {@code collector/target/s3mock} (system property {@code monkey.s3mock.jar}).
 */
public final class S3Mock {
  public static final String BUCKET = "monkey";
  private static final Duration STARTUP = Duration.ofSeconds(180);
  private static S3Mock shared;

  private final Process process;
  private final int port;
  private final Path log;

  private S3Mock(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  public static synchronized S3Mock shared() {
    if (shared == null) {
      shared = start();
      Runtime.getRuntime().addShutdownHook(new Thread(shared::stop, "monkey-s3mock-stop"));
    }
    return shared;
  }

  /** {@code http://127.0.0.1:<port>} */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** The s3a settings that reach this server, without the {@code hadoop.} prefix of the collector's keys. */
  public Map<String, String> hadoopConf() {
    return Map.of(
        "fs.s3a.endpoint", endpoint(),
        "fs.s3a.path.style.access", "true",
        "fs.s3a.connection.ssl.enabled", "false",
        "fs.s3a.access.key", "monkey-access-key",
        "fs.s3a.secret.key", "monkey-secret-key",
        // S3Mock answers for one region; the SDK would otherwise ask for the bucket's.
        "fs.s3a.endpoint.region", "us-east-1",
        // Fail fast instead of retrying for minutes if the server went away.
        "fs.s3a.attempts.maximum", "3",
        "fs.s3a.retry.limit", "3");
  }

  /** The process's output, for failure messages. */
  public String logTail() {
    try {
      String text = Files.readString(log);
      return text.substring(Math.max(0, text.length() - 4000));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static S3Mock start() {
    String jar = System.getProperty("monkey.s3mock.jar");
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException("S3Mock's jar is not at monkey.s3mock.jar=" + jar + "; the collector's build "
          + "copies it there (mvn -pl collector process-test-resources)");
    }
    try {
      Path dir = Files.createTempDirectory("monkey-s3mock");
      Path log = dir.resolve("s3mock.log");
      int port = freePort();
      int tlsPort = freePort();
      List<String> command = List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
          "-jar", jar,
          "--com.adobe.testing.s3mock.httpPort=" + port,
          "--server.port=" + tlsPort,
          "--server.address=127.0.0.1",
          "--com.adobe.testing.s3mock.domain.initialBuckets=" + BUCKET,
          "--com.adobe.testing.s3mock.domain.root=" + dir.resolve("objects"),
          "--spring.main.banner-mode=off");
      Process process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      S3Mock server = new S3Mock(process, port, log);
      server.awaitBucket();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitBucket() {
    long started = System.nanoTime();
    long deadline = started + STARTUP.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("S3Mock exited with " + process.exitValue() + ":\n" + logTail());
      }
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create(endpoint() + "/" + BUCKET).toURL().openConnection();
        c.setConnectTimeout(1000);
        c.setReadTimeout(5000);
        int status = c.getResponseCode();
        c.disconnect();
        if (status == 200) {
          System.out.printf("S3Mock: serving %s/%s after %.1f s%n", endpoint(), BUCKET, (System.nanoTime() - started) / 1e9);
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stop();
        throw new IllegalStateException("interrupted while S3Mock started", e);
      }
    }
    stop();
    throw new IllegalStateException("S3Mock did not serve bucket " + BUCKET + " within " + STARTUP + ":\n" + logTail());
  }

  private void stop() {
    process.destroy();
    try {
      if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
