package dev.activationmonkey.analytics.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.activationmonkey.analytics.TestLogs;
import dev.activationmonkey.analytics.TestLogs.Layer;
import dev.activationmonkey.analytics.cli.ServeCommand;
import dev.activationmonkey.analytics.report.Thresholds;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The dashboard's HTTP contract over plain sockets (the exact bytes a client sends, no client-side normalisation):
 * what the pages read, and the safety rules: loopback by default, no file outside the dataset, parameters bound or
 * refused, 4xx with one line and no stack trace, committed files only.
 */
class DashboardServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path root;
  @TempDir
  Path staging;
  private DashboardServer server;

  @BeforeEach
  void start() throws IOException {
    TestLogs.writeRun(root, "dead", 60, 2, 0, List.of(Layer.healthy(0),
        Layer.healthy(1).firingRate("CASE WHEN k < 3 THEN 0.0 ELSE 0.3 END")));
    // a secret next to the dataset: no request may read it
    Files.writeString(root.getParent().resolve("secret-" + root.getFileName() + ".txt"), "TOP-SECRET");
    server = DashboardServer.start(root, "127.0.0.1", 0, Thresholds.defaults());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private record Response(int status, String contentType, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    JsonNode json() throws IOException {
      assertEquals(200, status, text());
      return JSON.readTree(body);
    }
  }

  /** GET with the request target sent exactly as given. */
  private Response get(String target) throws IOException {
    try (Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
      OutputStream out = s.getOutputStream();
      out.write(("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      byte[] all = s.getInputStream().readAllBytes();
      int split = indexOf(all, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      String head = new String(all, 0, split, StandardCharsets.ISO_8859_1);
      int status = Integer.parseInt(head.split(" ")[1]);
      String type = head.lines().filter(l -> l.toLowerCase().startsWith("content-type:")).map(l -> l.substring(13).trim())
          .findFirst().orElse("");
      byte[] body = java.util.Arrays.copyOfRange(all, split + 4, all.length);
      if (head.toLowerCase().contains("transfer-encoding: chunked")) {
        body = dechunk(body);
      }
      return new Response(status, type, body);
    }
  }

  private static byte[] dechunk(byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = 0;
    while (true) {
      int eol = indexOf(java.util.Arrays.copyOfRange(body, at, body.length), "\r\n".getBytes()) + at;
      int size = Integer.parseInt(new String(body, at, eol - at, StandardCharsets.ISO_8859_1).trim(), 16);
      if (size == 0) {
        return out.toByteArray();
      }
      out.write(body, eol + 2, size);
      at = eol + 2 + size + 2;
    }
  }

  private static int indexOf(byte[] data, byte[] pattern) {
    outer:
    for (int i = 0; i <= data.length - pattern.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static void assertOneLineRefusal(Response r, int status, String contains) {
    assertEquals(status, r.status(), r.text());
    assertTrue(r.contentType().startsWith("text/plain"), r.contentType());
    assertEquals(1, r.text().strip().lines().count(), "one line: " + r.text());
    assertFalse(r.text().contains("Exception") || r.text().contains("\tat "), "no stack trace: " + r.text());
    assertTrue(r.text().contains(contains), r.text());
  }

  @Test
  void servesThePageItsAssetsAndTheRunsThroughTheReportsCode() throws Exception {
    Response page = get("/");
    assertEquals(200, page.status());
    assertTrue(page.text().contains("/static/uPlot.iife.min.js") && !page.text().contains("http"), "no CDN");
    assertTrue(get("/static/uPlot.iife.min.js").text().contains("uPlot"));
    assertTrue(get("/static/uPlot.LICENSE.txt").text().contains("MIT"));

    JsonNode runs = get("/api/runs").json().get("runs");
    assertEquals(1, runs.size());
    assertEquals("dead", runs.get(0).get("runId").asText());
    assertEquals("running", runs.get(0).get("status").asText(), "no RunEnd yet");
    assertEquals(59, runs.get(0).get("lastIteration").asLong());
    assertEquals(2, runs.get(0).get("workers").asInt());
    assertTrue(runs.get(0).get("alerts").asInt() >= 1);

    JsonNode run = get("/api/run?run=dead").json();
    assertEquals(2, run.get("layers").size());
    assertEquals("warn", run.get("layers").get(1).get("sparsityBadge").asText(), "3 of 10 units dead: the report's rule");
    assertEquals("ok", run.get("layers").get(0).get("sparsityBadge").asText());
    assertEquals("dead-neurons", run.get("diagnoses").get(0).get("rule").asText());
    assertEquals(60, run.get("series").get(0).get("iterations").size());
    assertEquals(60, run.get("series").get(1).get("gradient").size());

    Response png = get("/api/heatmap.png?run=dead&metric=firing&layer=1");
    assertEquals("image/png", png.contentType());
    assertTrue(ImageIO.read(new java.io.ByteArrayInputStream(png.body())).getWidth() > 500);
    assertEquals(200, get("/api/heatmap.png?run=dead&metric=sparsity").status());

    JsonNode workers = get("/api/workers?run=dead&layer=1&metric=gradient").json().get("workers");
    assertEquals(2, workers.size(), "one line per worker");
    assertEquals(60, workers.get(1).get("iterations").size());
  }

  @Test
  void noRequestReadsAFileOutsideTheDatasetNorAnyFileByName() throws Exception {
    String secret = "secret-" + root.getFileName() + ".txt";
    for (String target : List.of("/../" + secret, "/static/../../" + secret, "/static/%2e%2e/%2e%2e/" + secret,
        "/static/..%2f..%2f" + secret, "/%2e%2e%2f" + secret, "/static/" + root.resolve("..").resolve(secret),
        "/snapshots/run_id=dead/kind=activation/monkey.snapshots+0+0+119.parquet", "/etc/passwd",
        "/static/app.js/../../../" + secret)) {
      Response r = get(target);
      assertEquals(404, r.status(), target + " -> " + r.text());
      assertFalse(r.text().contains("TOP-SECRET") || r.text().contains("root:") || r.text().contains("PAR1"), target);
    }
  }

  @Test
  void parametersAreBoundOrRefusedNeverPastedIntoSql() throws Exception {
    // looks like SQL: it is only ever compared with the dataset's run ids, so it is an unknown run
    assertOneLineRefusal(get("/api/run?run=dead%27%20OR%20%271%27%3D%271"), 404, "Unknown run");
    assertOneLineRefusal(get("/api/run?run=dead%27%3B%20DROP%20VIEW%20snapshots%3B--"), 404, "Unknown run");
    assertOneLineRefusal(get("/api/workers?run=dead&layer=1%20OR%201%3D1&metric=zero"), 400,
        "layer must be an integer");
    assertOneLineRefusal(get("/api/workers?run=dead&layer=1&metric=zero%27--"), 400, "metric must be one of");
    // and the data is all still there
    assertEquals(2, get("/api/run?run=dead").json().get("layers").size());
  }

  @Test
  void badParametersGetA400AndUnknownRunsOrPathsA404WithOneLine() throws Exception {
    assertOneLineRefusal(get("/api/run"), 400, "Parameter run is required");
    assertOneLineRefusal(get("/api/run?run=dead&debug=1"), 400, "Unknown parameter 'debug'");
    assertOneLineRefusal(get("/api/heatmap.png?run=dead&metric=firing"), 400, "layer is required");
    assertOneLineRefusal(get("/api/heatmap.png?run=dead&metric=firing&layer=-1"), 400, "from 0");
    assertOneLineRefusal(get("/api/heatmap.png?run=dead&width=99999999999"), 400, "width must be an integer");
    Response malformed = get("/api/histograms?run=dead&layer=%ZZ"); // refused by the JDK's server before us
    assertEquals(400, malformed.status(), malformed.text());
    assertFalse(malformed.text().contains("\tat "), malformed.text());
    assertOneLineRefusal(get("/api/run?run=nope"), 404, "Unknown run 'nope'");
    assertOneLineRefusal(get("/api/heatmap.png?run=dead&metric=firing&layer=7"), 404, "has no layer 7");
    assertOneLineRefusal(get("/api/nothing"), 404, "Not found");
  }

  @Test
  void bindsTheLoopbackAddressByDefault() throws Exception {
    CommandLine cli = new CommandLine(new ServeCommand());
    String bind = cli.getCommandSpec().findOption("--bind").defaultValue();
    assertEquals("127.0.0.1", bind);
    assertTrue(InetAddress.getByName(bind).isLoopbackAddress());
    assertTrue(server.address().getAddress().isLoopbackAddress());
    assertTrue(server.url().startsWith("http://127.0.0.1:"), server.url());
    // a port already taken is bad input (exit 2), with the flag to change
    dev.activationmonkey.errors.InvalidInputException taken = org.junit.jupiter.api.Assertions.assertThrows(
        dev.activationmonkey.errors.InvalidInputException.class,
        () -> DashboardServer.start(root, "127.0.0.1", server.address().getPort(), Thresholds.defaults()));
    assertTrue(taken.getMessage().contains("--port"), taken.getMessage());
  }

  @Test
  void newlyCommittedFilesShowWithoutARestartAndInProgressOnesAreNeverRead() throws Exception {
    String before = get("/api/version").json().get("version").asText();
    // a collector's in-progress file (temp name, half written): invisible
    Path dir = root.resolve("snapshots/run_id=dead/kind=activation");
    Files.write(dir.resolve("_monkey.snapshots+0+500+599.parquet.tmp"), "PAR1 half written".getBytes());
    Files.createDirectories(root.resolve("snapshots/run_id=dead/kind=gradient/_tmp"));
    Files.write(root.resolve("snapshots/run_id=dead/kind=gradient/_tmp/x.parquet"), "PAR1 half".getBytes());
    assertEquals(before, get("/api/version").json().get("version").asText());
    assertEquals(59, get("/api/run?run=dead").json().get("lastIteration").asLong());

    // a commit: written elsewhere, renamed into place (as the collector does)
    TestLogs.writeRun(staging, "dead", 90, 2, 1, List.of(Layer.healthy(0),
        Layer.healthy(1).firingRate("CASE WHEN k < 3 THEN 0.0 ELSE 0.3 END")));
    try (Stream<Path> files = Files.walk(staging)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Path target = root.resolve(staging.relativize(f));
        Files.createDirectories(target.getParent());
        Files.move(f, target, StandardCopyOption.ATOMIC_MOVE);
      }
    }
    assertNotEquals(before, get("/api/version").json().get("version").asText());
    assertEquals(89, get("/api/run?run=dead").json().get("lastIteration").asLong());
    assertEquals(89, get("/api/runs").json().get("runs").get(0).get("lastIteration").asLong());
  }

  @Test
  void rawActivationSamplesAreDrawnPerExampleAndChannel() throws Exception {
    try (dev.activationmonkey.analytics.fixtures.SnapshotFileWriter w =
        new dev.activationmonkey.analytics.fixtures.SnapshotFileWriter(root)) {
      // a convolution's sample: 2 examples x 3 channels x 4 x 4
      w.write("conv", "activation", "monkey.snapshots+0+0+9.parquet", java.util.Map.of("iteration", "i",
          "sample_shape", "[2, 3, 4, 4]", "sample_values", "list_transform(range(96), v -> CAST(v AS FLOAT))"),
          "range(10) t(i)");
    }
    Response png = get("/api/sample.png?run=conv&layer=0");
    assertEquals(200, png.status(), png.text());
    java.awt.image.BufferedImage image = ImageIO.read(new java.io.ByteArrayInputStream(png.body()));
    // 3 channels a row, 2 examples; 4x4 pixels drawn at 8x8 each (32 px tiles), 8 px gaps, 16 px labels
    assertEquals(8 + 3 * (32 + 8), image.getWidth());
    assertEquals(8 + 2 * (16 + 32 + 8), image.getHeight());
    assertOneLineRefusal(get("/api/sample.png?run=dead&layer=0"), 404, "logging.sample.examples");
  }

  @Test
  void anEmptyDatasetServesAnEmptyRunList() throws Exception {
    Path empty = Files.createDirectories(staging.resolve("empty"));
    try (DashboardServer s = DashboardServer.start(empty, "127.0.0.1", 0, Thresholds.defaults())) {
      DashboardServer keep = server;
      server = s;
      try {
        assertEquals(0, get("/api/runs").json().get("runs").size());
        assertOneLineRefusal(get("/api/run?run=x"), 400, "empty");
      } finally {
        server = keep;
      }
    }
  }
}
