package dev.activationmonkey.analytics.serve;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.activationmonkey.analytics.report.Thresholds;
import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.errors.MonkeyException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The dashboard: a small HTTP server (the JDK's {@code com.sun.net.httpserver}) over one dataset. Pages, scripts and
 * the charting library come from this jar ({@link #ASSETS}); data comes from the JSON and PNG endpoints of
 * {@link DashboardApi}, which read through the same report code as {@code monkey report}.
 *
 * <p>Safe by default: it binds the address it is given (the CLI's default is the loopback address); only the
 * listed assets are served (no request names a file); a request's run must be one of the dataset's runs (else 404)
 * and its numbers are parsed and bound as query parameters; a bad request gets a 400 with a one-line message and
 * an internal failure a 500 with one line, never a stack trace (that goes to the server's log).
 *
 * <pre>{@code
 * try (DashboardServer server = DashboardServer.start(Path.of("/data/monkey"), "127.0.0.1", 8080, Thresholds.defaults())) {
 *   System.out.println(server.url());
 *   server.awaitStop();
 * }
 * }</pre>
 */
public final class DashboardServer implements AutoCloseable {
  /** Request path under /static/ to the classpath resource and its content type: everything a page may load. */
  static final Map<String, String[]> ASSETS = Map.of(
      "/", new String[] {"index.html", "text/html; charset=utf-8"},
      "/static/app.js", new String[] {"app.js", "text/javascript; charset=utf-8"},
      "/static/app.css", new String[] {"app.css", "text/css; charset=utf-8"},
      "/static/uPlot.iife.min.js", new String[] {"uplot/uPlot.iife.min.js", "text/javascript; charset=utf-8"},
      "/static/uPlot.min.css", new String[] {"uplot/uPlot.min.css", "text/css; charset=utf-8"},
      "/static/uPlot.LICENSE.txt", new String[] {"uplot/LICENSE", "text/plain; charset=utf-8"});
  private static final String ASSET_ROOT = "/dev/activationmonkey/analytics/serve/assets/";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final ExecutorService executor;
  private final LiveDataset dataset;
  private final DashboardApi api;
  private final NeuronImages neurons;
  private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
  /** The report of the dataset as the server found it, built as it starts: the first page need not wait for it. */
  private volatile java.util.concurrent.CompletableFuture<Void> warmUp =
      java.util.concurrent.CompletableFuture.completedFuture(null);

  private DashboardServer(HttpServer server, ExecutorService executor, LiveDataset dataset, NeuronImages neurons) {
    this.server = server;
    this.executor = executor;
    this.dataset = dataset;
    this.api = new DashboardApi(dataset);
    this.neurons = neurons;
  }

  /**
   * Starts serving the dataset under {@code root} on {@code bind}:{@code port} (0 for a free port).
   *
   * @throws InvalidInputException the root is not a folder, the address is not local, or the port is taken
   */
  public static DashboardServer start(Path root, String bind, int port, Thresholds thresholds) {
    return start(root, bind, port, thresholds, null, null);
  }

  /**
   * As {@link #start(Path, String, int, Thresholds)}, with activation maximization of the runs' checkpoints.
   *
   * @param checkpoints the trainer's checkpoint folder ({@code <runId>-epoch-<n>.zip} files), or null
   * @param examples an IDX image file of real examples to rank by a neuron's activation (e.g. MNIST's), or null
   */
  public static DashboardServer start(Path root, String bind, int port, Thresholds thresholds, Path checkpoints,
      Path examples) {
    requireNonNull(root, "root is null");
    if (checkpoints != null && !java.nio.file.Files.isDirectory(checkpoints)) {
      throw new InvalidInputException("--checkpoints " + checkpoints + " is not a folder (the trainer's checkpoint-dir)");
    }
    if (examples != null && !java.nio.file.Files.isRegularFile(examples)) {
      throw new InvalidInputException("--examples " + examples + " does not exist (an IDX image file, e.g. MNIST's)");
    }
    if (!java.nio.file.Files.isDirectory(root)) {
      throw new InvalidInputException("Dataset path " + root + " is not a folder. Pass --data the collector's output "
          + "root (the folder that holds snapshots/, runs/, evaluations/); it may still be empty.");
    }
    InetAddress address;
    try {
      address = InetAddress.getByName(bind);
    } catch (IOException e) {
      throw new InvalidInputException("--bind " + bind + " is not an address of this machine: " + e.getMessage());
    }
    HttpServer http;
    try {
      http = HttpServer.create(new InetSocketAddress(address, port), 64);
    } catch (IOException e) {
      throw new InvalidInputException("Cannot listen on " + bind + ":" + port + " (" + e.getMessage()
          + "): pick another --port, or --port 0 for a free one.");
    }
    ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "monkey-serve");
      t.setDaemon(true);
      return t;
    });
    DashboardServer s = new DashboardServer(http, executor, new LiveDataset(root, thresholds),
        new NeuronImages(checkpoints, examples));
    http.createContext("/", s::handle);
    http.setExecutor(executor);
    http.start();
    // Build the report now, not on the first request (a person opens the page a moment after the server starts; a
    // request that comes sooner waits for this build instead of starting its own). A failure here is reported by
    // that request, with its message.
    s.warmUp = java.util.concurrent.CompletableFuture.runAsync(() -> {
      try {
        s.dataset.read(view -> null);
      } catch (RuntimeException e) {
        // the page's first request builds it again and answers with the error
      }
    }, executor);
    return s;
  }

  /** Waits until the report of the dataset as found at start is built; false if that took longer than {@code max}. */
  public boolean awaitReady(java.time.Duration max) throws InterruptedException {
    try {
      warmUp.get(max.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return true;
    }
  }

  /** The address it listens on, e.g. {@code http://127.0.0.1:8080/}. */
  public String url() {
    InetSocketAddress a = server.getAddress();
    String host = a.getAddress().getHostAddress();
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/";
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** Blocks until {@link #close} (or the JVM's shutdown). */
  public void awaitStop() throws InterruptedException {
    stopped.await();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    dataset.close();
    stopped.countDown();
  }

  private void handle(HttpExchange exchange) {
    try (exchange) {
      try {
        if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
          throw new HttpError(405, "Only GET is served");
        }
        route(exchange);
      } catch (HttpError e) {
        send(exchange, e.status(), "text/plain; charset=utf-8", (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8));
      } catch (InvalidInputException e) {
        send(exchange, 400, "text/plain; charset=utf-8", (oneLine(e.getMessage()) + "\n").getBytes(StandardCharsets.UTF_8));
      } catch (MonkeyException | UncheckedIOException | IllegalStateException | IllegalArgumentException e) {
        System.err.println("monkey serve: " + exchange.getRequestURI().getRawPath() + ": " + e);
        e.printStackTrace();
        send(exchange, 500, "text/plain; charset=utf-8", ("internal error: " + oneLine(e.getMessage()) + "\n")
            .getBytes(StandardCharsets.UTF_8));
      } catch (RuntimeException e) {
        System.err.println("monkey serve: " + exchange.getRequestURI().getRawPath() + ": " + e);
        e.printStackTrace();
        send(exchange, 500, "text/plain; charset=utf-8", ("internal error: " + e.getClass().getSimpleName() + "\n")
            .getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      // the client went away; nothing to answer
    }
  }

  private void route(HttpExchange exchange) throws IOException {
    URI uri = exchange.getRequestURI();
    String path = uri.getRawPath();
    String[] asset = ASSETS.get(path);
    if (asset != null) {
      Params.of(uri, Set.of("poll")); // the page's own setting
      try (InputStream in = DashboardServer.class.getResourceAsStream(ASSET_ROOT + asset[0])) {
        if (in == null) {
          throw new IllegalStateException("asset " + asset[0] + " is missing from the jar");
        }
        send(exchange, 200, asset[1], in.readAllBytes());
      }
      return;
    }
    switch (path) {
      case "/api/version" -> json(exchange, api.version(Params.of(uri, Set.of())));
      case "/api/runs" -> json(exchange, api.runs(Params.of(uri, Set.of())));
      case "/api/run" -> json(exchange, api.run(Params.of(uri, Set.of("run")).required("run")));
      case "/api/heatmap.png" -> {
        Params p = Params.of(uri, Set.of("run", "metric", "layer", "width"));
        String metric = p.choice("metric", DashboardApi.HEATMAP_METRICS, "sparsity");
        Integer layer = p.optional("layer", null) == null ? null : p.integer("layer", 0, 100_000, null);
        send(exchange, 200, "image/png", api.heatmap(p.required("run"), metric, layer,
            p.integer("width", 100, 4000, 900)));
      }
      case "/api/workers" -> {
        Params p = Params.of(uri, Set.of("run", "layer", "metric"));
        json(exchange, api.workers(p.required("run"), p.integer("layer", 0, 100_000, null),
            p.choice("metric", DashboardApi.WORKER_METRICS, "zero")));
      }
      case "/api/histograms" -> {
        Params p = Params.of(uri, Set.of("run", "layer", "max"));
        json(exchange, api.histograms(p.required("run"), p.integer("layer", 0, 100_000, null),
            p.integer("max", 1, 200, 30)));
      }
      case "/api/sample.png" -> {
        Params p = Params.of(uri, Set.of("run", "layer"));
        send(exchange, 200, "image/png", api.sample(p.required("run"), p.integer("layer", 0, 100_000, null)));
      }
      case "/api/checkpoints" -> {
        String run = api.knownRun(Params.of(uri, Set.of("run")).required("run"));
        json(exchange, DashboardApi.mapOf("run", run, "epochs", neurons.epochs(run)));
      }
      case "/api/maximize.png" -> {
        Params p = Params.of(uri, Set.of("run", "epoch", "layer", "neuron", "steps"));
        String run = api.knownRun(p.required("run"));
        int epoch = p.integer("epoch", 0, 1_000_000, null);
        int layer = p.integer("layer", 0, 100_000, null);
        Integer neuron = p.optional("neuron", null) == null ? null : p.integer("neuron", 0, 1_000_000, null);
        send(exchange, 200, "image/png", neurons.png(run, epoch, layer, neuron, p.integer("steps", 1, 500, 100)));
      }
      default -> throw HttpError.notFound("Not found: " + Params.abbreviate(path));
    }
  }

  private static void json(HttpExchange exchange, Object body) throws IOException {
    send(exchange, 200, "application/json; charset=utf-8", JSON.writeValueAsBytes(body));
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static String oneLine(String message) {
    if (message == null) {
      return "(no message)";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
