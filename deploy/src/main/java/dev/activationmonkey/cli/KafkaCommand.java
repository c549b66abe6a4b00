package dev.activationmonkey.cli;

import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.localkafka.BrokerStatus;
import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.localkafka.LocalKafka;
import dev.activationmonkey.localkafka.LocalKafkaCluster;
import java.util.List;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code monkey kafka start | stop | status}: the embedded single-node broker. */
@Command(
    name = "kafka",
    mixinStandardHelpOptions = true,
    description = {
      "Run a local Apache Kafka broker (KRaft mode) as its own process, or with --brokers N a cluster of N,",
      "each its own JVM, from the Maven Central jars the build fetched. No Docker, nothing else downloaded."
    },
    subcommands = {KafkaCommand.Start.class, KafkaCommand.Stop.class, KafkaCommand.Status.class})
final class KafkaCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options every kafka subcommand shares. */
  static final class BrokerOptions {
    @Option(names = "--data-dir", paramLabel = "DIR",
        description = "Broker state: logs, config, pid, output (default: ${DEFAULT-VALUE}).")
    Path dataDir = StateDirectory.kafka();

    @Option(names = "--port", paramLabel = "PORT",
        description = "Client port on 127.0.0.1 (default: ${DEFAULT-VALUE}; a running broker keeps its port).")
    int port = DEFAULT_PORT;

    @Option(names = "--heap", paramLabel = "SIZE", description = "Broker JVM heap (default: ${DEFAULT-VALUE}).")
    String heap = "512m";

    LocalKafka broker() {
      return LocalKafka.builder().dataDir(dataDir).port(port).heap(heap).build();
    }

    /** The cluster whose layout this data directory holds, if it holds one. */
    java.util.Optional<LocalKafkaCluster> cluster() {
      return LocalKafkaCluster.isCluster(dataDir)
          ? java.util.Optional.of(LocalKafkaCluster.builder().dataDir(dataDir).heap(heap).build())
          : java.util.Optional.empty();
    }
  }

  static final int DEFAULT_PORT = 19092;

  @Command(name = "start", mixinStandardHelpOptions = true,
      description = "Start the broker unless it runs already; return once it answers.")
  static final class Start implements Callable<Integer> {
    @Mixin BrokerOptions options;

    @Option(names = "--brokers", paramLabel = "N", description = "Brokers, each its own JVM and a voter of the KRaft quorum; with 3, "
        + "topics get replication factor 3 and min.insync.replicas 2 (default: ${DEFAULT-VALUE}). Ports: --port and the next N-1.")
    int brokers = 1;

    @Override
    public Integer call() {
      if (brokers < 1 || brokers > 9) {
        throw new InvalidInputException("--brokers must be 1 to 9, got " + brokers);
      }
      if (brokers > 1 || LocalKafkaCluster.isCluster(options.dataDir)) {
        LocalKafkaCluster cluster = LocalKafkaCluster.builder().dataDir(options.dataDir).brokers(brokers == 1 ? 0 : brokers)
            .port(options.port).heap(brokers > 1 && options.heap.equals("512m") ? "384m" : options.heap).build();
        System.out.println("starting a " + cluster.size() + "-broker Kafka cluster in " + cluster.dataDir() + " ...");
        cluster.start();
        cluster.status().forEach(s -> System.out.println("started: " + s));
        System.out.println("bootstrap servers " + cluster.bootstrapServers());
        return ExitCode.OK;
      }
      LocalKafka broker = options.broker();
      boolean wasRunning = broker.isRunning();
      if (!wasRunning) {
        System.out.println("starting Kafka broker in " + broker.dataDir() + " ...");
      }
      broker.start();
      System.out.println((wasRunning ? "already running: " : "started: ") + broker.status()
          + System.lineSeparator() + "broker output: " + broker.logFile());
      return ExitCode.OK;
    }
  }

  @Command(name = "stop", mixinStandardHelpOptions = true,
      description = "Stop the broker this data directory's start launched (no other process is touched).")
  static final class Stop implements Callable<Integer> {
    @Mixin BrokerOptions options;

    @Override
    public Integer call() {
      var cluster = options.cluster();
      if (cluster.isPresent()) {
        boolean any = cluster.get().status().stream().anyMatch(BrokerStatus::running);
        cluster.get().stop();
        System.out.println((any ? "stopped" : "not running") + " (" + cluster.get().size() + " brokers, " + options.dataDir + ")");
        return ExitCode.OK;
      }
      LocalKafka broker = options.broker();
      if (!broker.isRunning()) {
        System.out.println("not running (" + broker.dataDir() + ")");
        return ExitCode.OK;
      }
      broker.stop();
      System.out.println("stopped (" + broker.dataDir() + ")");
      return ExitCode.OK;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Say whether the broker (each broker of a cluster) runs, its pid and bootstrap servers. Exit 0 if running (all of them), 4 if not.")
  static final class Status implements Callable<Integer> {
    @Mixin BrokerOptions options;

    @Override
    public Integer call() {
      var cluster = options.cluster();
      if (cluster.isPresent()) {
        List<BrokerStatus> statuses = cluster.get().status();
        statuses.forEach(s -> System.out.println("broker " + s));
        return statuses.stream().allMatch(BrokerStatus::running) ? ExitCode.OK : ExitCode.UNAVAILABLE;
      }
      BrokerStatus status = options.broker().status();
      System.out.println(status);
      return status.running() ? ExitCode.OK : ExitCode.UNAVAILABLE;
    }
  }
}
