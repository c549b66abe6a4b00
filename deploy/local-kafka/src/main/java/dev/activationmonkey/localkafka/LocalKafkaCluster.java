package dev.activationmonkey.localkafka;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.errors.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Reader;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;

/**
 * A KRaft Kafka cluster of N brokers on 127.0.0.1, each its own JVM ({@link LocalKafka} processes from the same Maven
 * Central jars), each a broker and a voter of the controller quorum. Topics get replication factor {@code min(N, 3)}
 * and {@code min.insync.replicas} one less (at least 1), as the broker defaults: a topic created by a producer's first
 * record gets them too. Node {@code i} lives in {@code <dataDir>/broker-<i>}; {@code <dataDir>/cluster.properties}
 * records the size, the cluster id and the ports, so {@code monkey kafka status|stop} in another process find every
 * node, and a restarted node rejoins with its own id and data.
 *
 * <pre>{@code
 * LocalKafkaCluster cluster = LocalKafkaCluster.builder().dataDir(dir).brokers(3).build().start();
 * cluster.node(2).kill();    // kill -9 one broker
 * cluster.node(2).start();   // it rejoins and catches up
 * cluster.stop();
 * }</pre>
 */
public final class LocalKafkaCluster implements KafkaBroker, AutoCloseable {
  static final String CLUSTER_FILE = "cluster.properties";

  /** One node's identity and where the quorum is: what its server.properties needs beyond a single broker's. */
  record Node(int id, int port, int controllerPort, String voters, String clusterId, int replication, int minInSync) {}

  private final Path dataDir;
  private final int brokers;
  private final List<LocalKafka> nodes;

  private LocalKafkaCluster(Builder builder) throws IOException {
    this.dataDir = builder.dataDir.toAbsolutePath().normalize();
    Files.createDirectories(dataDir);
    Properties layout = layout(dataDir, builder.brokers, builder.port);
    this.brokers = Integer.parseInt(layout.getProperty("brokers"));
    int replication = Math.min(brokers, 3);
    int minInSync = Math.max(1, replication - 1);
    String voters = IntStream.rangeClosed(1, brokers)
        .mapToObj(i -> i + "@127.0.0.1:" + layout.getProperty("controller." + i)).collect(Collectors.joining(","));
    List<LocalKafka> list = new ArrayList<>();
    for (int i = 1; i <= brokers; i++) {
      Node node = new Node(i, Integer.parseInt(layout.getProperty("port." + i)), Integer.parseInt(layout.getProperty("controller." + i)),
          voters, layout.getProperty("cluster.id"), replication, minInSync);
      LocalKafka.Builder b = LocalKafka.builder().dataDir(dataDir.resolve("broker-" + i)).heap(builder.heap).node(node)
          .startTimeout(builder.startTimeout);
      if (builder.libDir != null) {
        b.libDir(builder.libDir);
      }
      list.add(b.build());
    }
    this.nodes = List.copyOf(list);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Whether {@code dataDir} holds a cluster's layout (written by its first start). */
  public static boolean isCluster(Path dataDir) {
    return Files.exists(dataDir.resolve(CLUSTER_FILE));
  }

  /** Starts every node that is not running (all JVMs first: the quorum needs a majority), and waits until all N answer. */
  public synchronized LocalKafkaCluster start() {
    // Formatting and starting each JVM takes seconds: all nodes at once.
    onEveryNode(nodes.stream().filter(n -> !n.isRunning()).toList(), LocalKafka::launch);
    for (LocalKafka node : nodes) {
      node.awaitReady(brokers);
    }
    return this;
  }

  /** Stops every node at once (a controlled shutdown each, a kill after 30 s) and waits for them. */
  public synchronized void stop() {
    onEveryNode(nodes, LocalKafka::stop);
  }

  /** Runs {@code action} on the nodes in parallel; rethrows the first failure as it was thrown. */
  private static void onEveryNode(List<LocalKafka> some, java.util.function.Consumer<LocalKafka> action) {
    try {
      CompletableFuture.allOf(some.stream().map(n -> CompletableFuture.runAsync(() -> action.accept(n)))
          .toArray(CompletableFuture[]::new)).join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }

  @Override
  public void close() {
    stop();
  }

  /** Node {@code id} (1 to N): to kill, restart or inspect one broker. */
  public LocalKafka node(int id) {
    if (id < 1 || id > brokers) {
      throw new InvalidInputException("broker id must be 1 to " + brokers + ", got " + id);
    }
    return nodes.get(id - 1);
  }

  public int size() {
    return brokers;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Each node's status, in id order. */
  public List<BrokerStatus> status() {
    return nodes.stream().map(LocalKafka::status).toList();
  }

  /** Every node's address. */
  @Override
  public String bootstrapServers() {
    return nodes.stream().map(LocalKafka::bootstrapServers).collect(Collectors.joining(","));
  }

  /** Creates a topic with the cluster's replication factor, or does nothing if it exists. */
  @Override
  public void createTopic(String name, int partitions) {
    try (Admin admin = admin()) {
      Topics.createReady(admin, name, Optional.of(partitions), Optional.empty(), Duration.ofSeconds(30));
    }
  }

  /** The in-sync replicas (broker ids) of each partition of {@code topic}. */
  public Map<Integer, Set<Integer>> inSyncReplicas(String topic) {
    try (Admin admin = admin()) {
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
      return d.partitions().stream().collect(Collectors.toMap(TopicPartitionInfo::partition,
          p -> p.isr().stream().map(org.apache.kafka.common.Node::id).collect(Collectors.toCollection(HashSet::new))));
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot describe topic " + topic + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000));
  }

  /** The recorded layout, or a new one (a fresh cluster id, free ports) for {@code brokers} nodes. */
  private static Properties layout(Path dataDir, int brokers, int firstPort) throws IOException {
    Path file = dataDir.resolve(CLUSTER_FILE);
    Properties layout = new Properties();
    if (Files.exists(file)) {
      try (Reader in = Files.newBufferedReader(file)) {
        layout.load(in);
      }
      int recorded = Integer.parseInt(layout.getProperty("brokers"));
      if (brokers != 0 && brokers != recorded) {
        throw new InvalidInputException(dataDir + " holds a cluster of " + recorded + " brokers, not " + brokers
            + ": stop it and use another --data-dir (or delete this one) to change the size");
      }
      return layout;
    }
    if (brokers < 1) {
      throw new InvalidInputException("a cluster needs at least 1 broker, got " + brokers);
    }
    layout.setProperty("brokers", String.valueOf(brokers));
    layout.setProperty("cluster.id", Uuid.randomUuid().toString());
    Set<Integer> taken = new HashSet<>();
    for (int i = 1; i <= brokers; i++) {
      int port = firstPort == 0 ? freePort(taken) : firstPort + i - 1;
      taken.add(port);
      layout.setProperty("port." + i, String.valueOf(port));
      layout.setProperty("controller." + i, String.valueOf(freePort(taken)));
      taken.add(Integer.parseInt(layout.getProperty("controller." + i)));
    }
    try (Writer out = Files.newBufferedWriter(file)) {
      layout.store(out, "Activation Monkey's LocalKafkaCluster: size, cluster id and ports, fixed at the first start");
    }
    return layout;
  }

  private static int freePort(Set<Integer> taken) throws IOException {
    while (true) {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        if (!taken.contains(socket.getLocalPort())) {
          return socket.getLocalPort();
        }
      }
    }
  }

  /** Builds a {@link LocalKafkaCluster}; {@link #dataDir(Path)} is required. */
  public static final class Builder {
    private Path dataDir;
    private Path libDir;
    private int brokers;
    private int port;
    private String heap = "384m";
    private Duration startTimeout = Duration.ofSeconds(120);

    private Builder() {}

    public Builder dataDir(Path dataDir) {
      this.dataDir = requireNonNull(dataDir, "dataDir is null");
      return this;
    }

    public Builder libDir(Path libDir) {
      this.libDir = requireNonNull(libDir, "libDir is null");
      return this;
    }

    /** The number of brokers; 0 (default) takes the recorded size of an existing cluster. */
    public Builder brokers(int brokers) {
      if (brokers < 0 || brokers > 9) {
        throw new InvalidInputException("--brokers must be 1 to 9, got " + brokers);
      }
      this.brokers = brokers;
      return this;
    }

    /** The first broker's client port (the others follow it); 0 picks free ones. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Each broker JVM's maximum heap. */
    public Builder heap(String heap) {
      this.heap = requireNonNull(heap, "heap is null");
      return this;
    }

    public Builder startTimeout(Duration startTimeout) {
      this.startTimeout = requireNonNull(startTimeout, "startTimeout is null");
      return this;
    }

    public LocalKafkaCluster build() {
      if (dataDir == null) {
        throw new InvalidInputException("LocalKafkaCluster needs a data directory: call dataDir(...)");
      }
      try {
        return new LocalKafkaCluster(this);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot set up the Kafka cluster in " + dataDir, e);
      }
    }
  }
}
