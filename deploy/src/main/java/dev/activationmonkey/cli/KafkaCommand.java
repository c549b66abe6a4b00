package dev.activationmonkey.cli;

import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.localkafka.BrokerStatus;
import dev.activationmonkey.localkafka.LocalKafka;
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
      "Run a local single-node Apache Kafka broker (KRaft mode) as its own process,",
      "from the Maven Central jars the build fetched. No Docker, nothing else downloaded."
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
  }

  static final int DEFAULT_PORT = 19092;

  @Command(name = "start", mixinStandardHelpOptions = true,
      description = "Start the broker unless it runs already; return once it answers.")
  static final class Start implements Callable<Integer> {
    @Mixin BrokerOptions options;

    @Override
    public Integer call() {
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
      description = "Say whether the broker runs, its pid and bootstrap servers. Exit 0 if running, 4 if not.")
  static final class Status implements Callable<Integer> {
    @Mixin BrokerOptions options;

    @Override
    public Integer call() {
      BrokerStatus status = options.broker().status();
      System.out.println(status);
      return status.running() ? ExitCode.OK : ExitCode.UNAVAILABLE;
    }
  }
}
