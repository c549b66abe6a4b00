package dev.activationmonkey.localkafka;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.errors.ServiceUnavailableException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A single-node KRaft Apache Kafka broker run as its own JVM from the Maven Central jars that
 * {@code deploy/local-kafka} copies to {@code target/kafka-lib}. No Docker, nothing downloaded.
 *
 * <p>All state lives in the data directory: {@code server.properties}, the log directories, the
 * broker's output ({@code broker.log}) and {@code broker.pid} / {@code broker.ports}. So
 * {@code monkey kafka start} in one process and {@code monkey kafka stop} in another find the same
 * broker, and {@link #stop()} only ever ends the process this data directory's broker runs in.
 *
 * <pre>{@code
 * LocalKafka broker = LocalKafka.builder().dataDir(Path.of(".monkey/kafka")).port(19092).build();
 * broker.start();                 // returns once the broker answers; idempotent
 * broker.createTopic("monkey.snapshots", 2);
 * broker.stop();
 * }</pre>
 */
public final class LocalKafka implements KafkaBroker, AutoCloseable {
  /** System property (set by the build for tests) naming the directory of the broker's jars. */
  public static final String LIB_PROPERTY = "monkey.kafka.lib";
  /** Environment variable the {@code monkey} launcher sets to the same directory. */
  public static final String LIB_ENV = "MONKEY_KAFKA_LIB";

  private static final String PID_FILE = "broker.pid";
  private static final String PORTS_FILE = "broker.ports";
  private static final String LOG_FILE = "broker.log";

  private final Path dataDir;
  private final Path libDir;
  private final int requestedPort;
  private final String heap;
  private final int niceness;
  private final Duration startTimeout;
  private final Map<String, String> overrides;
  /** A SASL/SCRAM-over-TLS listener beside the plaintext one; null: none. */
  private final SecureListener secure;
  /** One node of a {@link LocalKafkaCluster}; null for a single-node broker. */
  private final LocalKafkaCluster.Node node;

  private LocalKafka(Builder builder) {
    this.dataDir = builder.dataDir.toAbsolutePath().normalize();
    this.libDir = builder.libDir != null ? builder.libDir : defaultLibDir();
    this.requestedPort = builder.port;
    this.heap = builder.heap;
    this.niceness = builder.niceness;
    this.startTimeout = builder.startTimeout;
    this.overrides = Map.copyOf(builder.overrides);
    this.node = builder.node;
    this.secure = builder.secure;
  }

  /**
   * A {@code SASL_SSL} listener with the {@code SCRAM-SHA-512} mechanism: the broker presents the key in
   * {@code keystore} (PKCS12, one password for store and key). Users are added through the plaintext listener
   * ({@link #addScramUser}).
   */
  public record SecureListener(Path keystore, String password) {
    public SecureListener {
      requireNonNull(keystore, "keystore is null");
      requireNonNull(password, "password is null");
    }

    @Override
    public String toString() {
      return "SecureListener[keystore=" + keystore + ", password=[hidden]]";
    }
  }

  /** The {@code SASL_SSL} listener's address ({@link Builder#secureListener}). */
  public String secureBootstrapServers() {
    try {
      String[] ports = Files.readString(dataDir.resolve(PORTS_FILE)).trim().split(",");
      if (ports.length < 3) {
        throw new IllegalStateException("the broker in " + dataDir + " has no SASL_SSL listener");
      }
      return "127.0.0.1:" + ports[2];
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Adds (or replaces) a SCRAM-SHA-512 user, through the plaintext listener. */
  public void addScramUser(String user, String password) {
    try (Admin admin = admin()) {
      admin.alterUserScramCredentials(List.of(new org.apache.kafka.clients.admin.UserScramCredentialUpsertion(user,
          new org.apache.kafka.clients.admin.ScramCredentialInfo(org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_512, 4096),
          password))).all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot add SCRAM user " + user + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the broker unless it already runs, and waits until it answers an Admin request.
   *
   * @throws ServiceUnavailableException if the broker does not come up within the start timeout (the
   *     message carries the end of its log)
   */
  public synchronized LocalKafka start() {
    if (!status().running()) {
      launch();
    }
    awaitReady(1);
    return this;
  }

  /** Formats the storage on first use and starts the broker's JVM; does not wait for it. */
  synchronized void launch() {
    try {
      Files.createDirectories(dataDir);
      Files.deleteIfExists(dataDir.resolve(PID_FILE));
      int[] ports = ports();
      Path config = writeConfig(ports);
      if (!Files.exists(dataDir.resolve("logs").resolve("meta.properties"))) {
        format(config);
      }
      Path log = dataDir.resolve(LOG_FILE);
      ProcessBuilder process = new ProcessBuilder(javaCommand("kafka.Kafka", config.toString()))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      Process broker = process.start();
      Files.writeString(dataDir.resolve(PID_FILE), Long.toString(broker.pid()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the Kafka broker in " + dataDir, e);
    }
  }

  /**
   * Stops this data directory's broker (controlled shutdown, then a kill after 30 s) and waits for
   * the process to end. Does nothing if it is not running.
   */
  public synchronized void stop() {
    Optional<ProcessHandle> broker = brokerProcess();
    broker.ifPresent(handle -> {
      handle.destroy();
      try {
        handle.onExit().get(30, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        handle.destroyForcibly();
        handle.onExit().join();
      } catch (InterruptedException e) {
        handle.destroyForcibly();
        Thread.currentThread().interrupt();
      } catch (ExecutionException e) {
        throw new IllegalStateException(e);
      }
    });
    try {
      Files.deleteIfExists(dataDir.resolve(PID_FILE));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether this data directory's broker process is alive, and where it listens. */
  public BrokerStatus status() {
    Optional<ProcessHandle> broker = brokerProcess();
    return new BrokerStatus(
        broker.isPresent(),
        broker.map(h -> OptionalLong.of(h.pid())).orElse(OptionalLong.empty()),
        knownBootstrapServers().orElse("-"),
        dataDir);
  }

  public boolean isRunning() {
    return brokerProcess().isPresent();
  }

  @Override
  public String bootstrapServers() {
    return knownBootstrapServers()
        .orElseThrow(() -> new IllegalStateException("the broker in " + dataDir + " has never been started"));
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The broker's own output. */
  public Path logFile() {
    return dataDir.resolve(LOG_FILE);
  }

  @Override
  public void createTopic(String name, int partitions) {
    ExternalBroker.createTopic(bootstrapServers(), name, partitions);
  }

  @Override
  public void close() {
    stop();
  }

  private Admin admin() {
    Properties properties = new Properties();
    properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    return Admin.create(properties);
  }

  /**
   * Ends the broker's process with SIGKILL, as a crashed host would: no controlled shutdown, nothing flushed. For
   * tests of failures; {@link #start()} brings it back.
   */
  public synchronized void kill() {
    brokerProcess().ifPresent(handle -> {
      handle.destroyForcibly();
      handle.onExit().join();
    });
  }

  /** Until the cluster this broker belongs to lists {@code nodes} brokers. */
  void awaitReady(int nodes) {
    Instant deadline = Instant.now().plus(startTimeout);
    Exception last = null;
    while (Instant.now().isBefore(deadline)) {
      if (brokerProcess().isEmpty()) {
        throw new ServiceUnavailableException(
            "the Kafka broker in " + dataDir + " exited while starting; its log ends with:\n" + logTail(), null);
      }
      try (Admin admin = admin()) {
        if (admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() >= nodes) {
          return;
        }
      } catch (ExecutionException | TimeoutException e) {
        last = e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ServiceUnavailableException("interrupted while waiting for the Kafka broker", e);
      }
      sleep(200);
    }
    throw new ServiceUnavailableException(
        "the Kafka broker in " + dataDir + " did not answer at " + bootstrapServers() + " within "
            + startTimeout.toSeconds() + " s; its log ends with:\n" + logTail(),
        last);
  }

  private void format(Path config) throws IOException {
    List<String> command = javaCommand(
        "kafka.tools.StorageTool", "format", "-t", node != null ? node.clusterId() : Uuid.randomUuid().toString(), "-c", config.toString());
    Path log = dataDir.resolve(LOG_FILE);
    Process format = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    try {
      if (!format.waitFor(120, TimeUnit.SECONDS) || format.exitValue() != 0) {
        format.destroyForcibly();
        throw new ServiceUnavailableException(
            "formatting the Kafka storage in " + dataDir + " failed; the log ends with:\n" + logTail(), null);
      }
    } catch (InterruptedException e) {
      format.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new ServiceUnavailableException("interrupted while formatting Kafka storage", e);
    }
  }

  private List<String> javaCommand(String mainClass, String... args) {
    if (!Files.isDirectory(libDir) || !Files.exists(libDir.resolve("kafka_2.13-" + kafkaVersion() + ".jar"))) {
      throw new InvalidInputException(
          "the Kafka broker's jars are not in " + libDir + ". Build them with `mvn -pl deploy/local-kafka "
              + "process-classes` (the monkey launcher does), or point -D" + LIB_PROPERTY + " / " + LIB_ENV
              + " at a directory holding kafka_2.13 and its dependencies.");
    }
    List<String> command = new ArrayList<>();
    if (niceness > 0 && Files.isExecutable(Path.of("/usr/bin/nice"))) {
      // nice execs java in place: the pid and the command line that stop() looks for stay the broker's own.
      command.addAll(List.of("/usr/bin/nice", "-n", String.valueOf(niceness)));
    }
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xms128m");
    command.add("-Xmx" + heap);
    command.add("-XX:+UseG1GC");
    command.add("-Dlog4j2.configurationFile=" + writeLog4jConfig());
    command.add("-Dmonkey.kafka.datadir=" + dataDir);
    command.add("-cp");
    command.add(libDir.resolve("*").toString());
    command.add(mainClass);
    command.addAll(List.of(args));
    return command;
  }

  private static String kafkaVersion() {
    String version = org.apache.kafka.common.utils.AppInfoParser.getVersion();
    return version == null ? "unknown" : version;
  }

  private String writeLog4jConfig() {
    Path file = dataDir.resolve("log4j2.properties");
    String config = """
        status = warn
        appender.console.type = Console
        appender.console.name = STDOUT
        appender.console.layout.type = PatternLayout
        appender.console.layout.pattern = [%d] %p %m (%c)%n
        rootLogger.level = WARN
        rootLogger.appenderRef.stdout.ref = STDOUT
        logger.server.name = kafka.server.KafkaRaftServer
        logger.server.level = INFO
        """;
    try {
      Files.writeString(file, config);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file.toString();
  }

  private Path writeConfig(int[] ports) throws IOException {
    Properties config = new Properties();
    config.put("process.roles", "broker,controller");
    config.put("node.id", node != null ? String.valueOf(node.id()) : "1");
    config.put("controller.quorum.voters", node != null ? node.voters() : "1@127.0.0.1:" + ports[1]);
    config.put("listeners", "PLAINTEXT://127.0.0.1:" + ports[0] + ",CONTROLLER://127.0.0.1:" + ports[1]);
    config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + ports[0]);
    config.put("controller.listener.names", "CONTROLLER");
    config.put("inter.broker.listener.name", "PLAINTEXT");
    config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    if (secure != null) {
      config.put("listeners", config.get("listeners") + ",SASL_SSL://127.0.0.1:" + ports[2]);
      config.put("advertised.listeners", config.get("advertised.listeners") + ",SASL_SSL://127.0.0.1:" + ports[2]);
      config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL");
      config.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
      config.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required;");
      config.put("listener.name.sasl_ssl.ssl.keystore.type", "PKCS12");
      config.put("listener.name.sasl_ssl.ssl.keystore.location", secure.keystore().toAbsolutePath().toString());
      config.put("listener.name.sasl_ssl.ssl.keystore.password", secure.password());
      config.put("listener.name.sasl_ssl.ssl.key.password", secure.password());
    }
    config.put("log.dirs", dataDir.resolve("logs").toString());
    config.put("num.partitions", "2");
    String replication = node != null ? String.valueOf(node.replication()) : "1";
    String minInSync = node != null ? String.valueOf(node.minInSync()) : "1";
    config.put("default.replication.factor", replication);
    config.put("min.insync.replicas", minInSync);
    config.put("offsets.topic.replication.factor", replication);
    config.put("offsets.topic.num.partitions", "4");
    config.put("transaction.state.log.replication.factor", replication);
    config.put("transaction.state.log.min.isr", minInSync);
    config.put("share.coordinator.state.topic.replication.factor", replication);
    config.put("share.coordinator.state.topic.min.isr", minInSync);
    if (node != null) {
      // A node that stops heartbeating is fenced (and leaves the ISRs) after 4 s rather than 9 s.
      config.put("broker.heartbeat.interval.ms", "1000");
      config.put("broker.session.timeout.ms", "4000");
    }
    config.put("group.initial.rebalance.delay.ms", "0");
    config.put("auto.create.topics.enable", "true");
    config.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
    config.put("message.max.bytes", String.valueOf(8 * 1024 * 1024));
    // The log cleaner (it compacts __consumer_offsets) allocates its dedupe buffer on the heap at start-up. Kafka's
    // 128 MiB default made a broker with a 256 MiB heap fail to start, now and then, with OutOfMemoryError.
    config.put("log.cleaner.dedupe.buffer.size", String.valueOf(dedupeBufferBytes(heap)));
    config.putAll(overrides);
    Path file = dataDir.resolve("server.properties");
    try (var out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      config.store(out, "written by Activation Monkey's LocalKafka; regenerated at every start");
    }
    return file;
  }

  /** The log cleaner's dedupe buffer for a broker of heap {@code heap} (as {@code 512m}): an eighth of it, 4 to 128 MiB. */
  static long dedupeBufferBytes(String heap) {
    long size = Long.parseLong(heap.substring(0, heap.length() - 1));
    long bytes = switch (Character.toLowerCase(heap.charAt(heap.length() - 1))) {
      case 'k' -> size << 10;
      case 'm' -> size << 20;
      default -> size << 30;
    };
    return Math.max(4L << 20, Math.min(128L << 20, bytes / 8));
  }

  /** The ports in use: those recorded for this data directory, else the requested (or free) ones. */
  private int[] ports() throws IOException {
    Path file = dataDir.resolve(PORTS_FILE);
    if (node != null) {
      Files.writeString(file, node.port() + "," + node.controllerPort());
      return new int[] {node.port(), node.controllerPort()};
    }
    if (Files.exists(file)) {
      String[] recorded = Files.readString(file).trim().split(",");
      int port = Integer.parseInt(recorded[0]);
      if ((requestedPort == 0 || requestedPort == port) && (secure == null) == (recorded.length < 3)) {
        return recorded.length < 3 ? new int[] {port, Integer.parseInt(recorded[1])}
            : new int[] {port, Integer.parseInt(recorded[1]), Integer.parseInt(recorded[2])};
      }
    }
    int port = requestedPort == 0 ? freePort() : requestedPort;
    int controller = freePort();
    while (controller == port) {
      controller = freePort();
    }
    if (secure != null) {
      int securePort = freePort();
      while (securePort == port || securePort == controller) {
        securePort = freePort();
      }
      Files.writeString(file, port + "," + controller + "," + securePort);
      return new int[] {port, controller, securePort};
    }
    Files.writeString(file, port + "," + controller);
    return new int[] {port, controller};
  }

  private Optional<String> knownBootstrapServers() {
    Path file = dataDir.resolve(PORTS_FILE);
    try {
      return Files.exists(file)
          ? Optional.of("127.0.0.1:" + Files.readString(file).trim().split(",")[0])
          : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The live process recorded in the pid file, if it is really this directory's broker. */
  private Optional<ProcessHandle> brokerProcess() {
    Path pidFile = dataDir.resolve(PID_FILE);
    if (!Files.exists(pidFile)) {
      return Optional.empty();
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readString(pidFile).trim());
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .filter(handle -> handle.info().arguments()
            .map(args -> Stream.of(args).anyMatch(arg -> arg.equals("-Dmonkey.kafka.datadir=" + dataDir)))
            // Where the OS hides other processes' arguments, trust the pid file we wrote.
            .orElse(true));
  }

  private String logTail() {
    Path log = dataDir.resolve(LOG_FILE);
    try {
      if (!Files.exists(log)) {
        return "(no log)";
      }
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 25), lines.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Path defaultLibDir() {
    String dir = System.getProperty(LIB_PROPERTY, System.getenv(LIB_ENV));
    if (dir == null) {
      throw new InvalidInputException(
          "where are the Kafka broker's jars? Set -D" + LIB_PROPERTY + " or " + LIB_ENV
              + " (the monkey launcher sets it to deploy/local-kafka/target/kafka-lib).");
    }
    return Path.of(dir);
  }

  /** Builds a {@link LocalKafka}; only {@link #dataDir(Path)} is required. */
  public static final class Builder {
    private Path dataDir;
    private Path libDir;
    private int port;
    private String heap = "512m";
    private int niceness;
    private Duration startTimeout = Duration.ofSeconds(90);
    private final java.util.HashMap<String, String> overrides = new java.util.HashMap<>();
    private LocalKafkaCluster.Node node;
    private SecureListener secure;

    private Builder() {}

    /** Adds a SASL_SSL listener (SCRAM-SHA-512 over TLS) on a free port beside the plaintext one. */
    public Builder secureListener(SecureListener secure) {
      this.secure = requireNonNull(secure, "secure is null");
      return this;
    }

    /** Makes it one node of a cluster (its id, ports, the voters and the cluster id). */
    Builder node(LocalKafkaCluster.Node node) {
      this.node = requireNonNull(node, "node is null");
      return this;
    }

    /** Where the broker keeps its logs, config, pid and output. Required. */
    public Builder dataDir(Path dataDir) {
      this.dataDir = requireNonNull(dataDir, "dataDir is null");
      return this;
    }

    /** The directory of the broker's jars; defaults to {@code -Dmonkey.kafka.lib} or {@code $MONKEY_KAFKA_LIB}. */
    public Builder libDir(Path libDir) {
      this.libDir = requireNonNull(libDir, "libDir is null");
      return this;
    }

    /** The client port on 127.0.0.1; 0 picks a free one (remembered in the data directory). */
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new InvalidInputException("Kafka port must be between 0 (any free port) and 65535, got " + port);
      }
      this.port = port;
      return this;
    }

    /** The broker JVM's maximum heap, e.g. {@code 512m}. */
    public Builder heap(String heap) {
      if (!requireNonNull(heap, "heap is null").matches("\\d+[kKmMgG]")) {
        throw new InvalidInputException("Kafka heap must look like 512m or 1g, got '" + heap + "'");
      }
      this.heap = heap;
      return this;
    }

    /**
     * Runs the broker at this scheduling niceness (1-19; 0, the default, leaves it alone) where {@code /usr/bin/nice}
     * exists. A benchmark that shares the machine with its broker uses it so that the broker takes only CPU that
     * training leaves idle, as a broker on its own hosts would.
     */
    public Builder niceness(int niceness) {
      if (niceness < 0 || niceness > 19) {
        throw new InvalidInputException("broker niceness must be 0-19, got " + niceness);
      }
      this.niceness = niceness;
      return this;
    }

    public Builder startTimeout(Duration startTimeout) {
      this.startTimeout = requireNonNull(startTimeout, "startTimeout is null");
      return this;
    }

    /** A broker config property written to server.properties over the defaults. */
    public Builder brokerProperty(String key, String value) {
      overrides.put(requireNonNull(key, "key is null"), requireNonNull(value, "value is null"));
      return this;
    }

    public LocalKafka build() {
      if (dataDir == null) {
        throw new InvalidInputException("LocalKafka needs a data directory: call dataDir(...)");
      }
      return new LocalKafka(this);
    }
  }
}
