package dev.activationmonkey.collector.cli;

import dev.activationmonkey.collector.Collector;
import dev.activationmonkey.collector.CollectorConfig;
import dev.activationmonkey.collector.CollectorStats;
import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.errors.MonkeyException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code monkey collect}: runs the collector until SIGTERM or Ctrl-C, then flushes, commits and exits 0. */
@Command(
    name = "collect",
    mixinStandardHelpOptions = true,
    description = {
      "Consume the snapshot topic(s) as a consumer group and write them to a Parquet dataset, exactly once.",
      "Tables: snapshots/run_id=<id>/kind=<kind>/, runs/, evaluations/, run_ends/ (run_id=<id>/ each);",
      "files are named <topic>+<partition>+<firstOffset>+<lastOffset>.parquet. Bad records go to the dead-letter topic.",
      "Runs until SIGTERM or Ctrl-C: then commits what it holds and exits 0."
    },
    footer = {
      "",
      "Any key can also be set in --config (.properties or .yaml) or with --set KEY=VALUE:",
      "  rotate.records, rotate.bytes, flush.idle.ms, flush.max.age.ms, max.open.files, buffer.memory.bytes, buffer.pool.bytes,",
      "  parquet.row.group.bytes, parquet.zstd.level, status.interval.ms, startup.timeout.ms,",
      "  kafka.<consumer/producer property> (e.g. kafka.security.protocol=SASL_SSL), hadoop.<property> (e.g. hadoop.fs.s3a.endpoint).",
      "Flags override the file. Exit codes: 0 stopped cleanly, 2 invalid configuration, 4 Kafka unreachable, 1 internal error."
    })
public final class CollectCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Configuration file (.properties, .yaml or .yml).")
  Path configFile;

  @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]", description = "Kafka brokers (required here or in the file).")
  String bootstrapServers;

  @Option(names = {"-t", "--topics"}, paramLabel = "TOPIC[,...]", description = "Topics to consume (default: monkey.snapshots).")
  String topics;

  @Option(names = {"-g", "--group"}, paramLabel = "GROUP", description = "Consumer group (default: monkey-collector).")
  String group;

  @Option(names = {"-d", "--dataset"}, paramLabel = "PATH|URI", description = "Dataset root: a local path, hdfs:// or s3a:// (default: monkey-data).")
  String dataset;

  @Option(names = "--dead-letter-topic", paramLabel = "TOPIC", description = "Dead-letter topic (default: <topic>.dlq).")
  String deadLetterTopic;

  @Option(names = "--idle-flush", paramLabel = "MILLIS", description = "Commit a partition's records after this long without new ones (default: 10000).")
  Long idleFlushMillis;

  @Option(names = "--rotate-records", paramLabel = "N", description = "Commit a partition's records every N records (default: 1000000).")
  Long rotateRecords;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Set any configuration key; repeatable.")
  Map<String, String> settings = new LinkedHashMap<>();

  @Option(names = {"-q", "--quiet"}, description = "No status lines.")
  boolean quiet;

  private final PrintStream out;

  public CollectCommand() {
    this(System.out);
  }

  CollectCommand(PrintStream out) {
    this.out = out;
  }

  /** Builds the configuration from the file, then the flags. */
  CollectorConfig config() {
    CollectorConfig.Builder builder = CollectorConfig.builder();
    if (configFile != null) {
      builder.file(configFile);
    }
    builder.setAll(settings);
    if (bootstrapServers != null) {
      builder.bootstrapServers(bootstrapServers);
    }
    if (topics != null) {
      builder.set(CollectorConfig.TOPICS, topics);
    }
    if (group != null) {
      builder.groupId(group);
    }
    if (dataset != null) {
      builder.datasetRoot(dataset);
    }
    if (deadLetterTopic != null) {
      builder.deadLetterTopic(deadLetterTopic);
    }
    if (idleFlushMillis != null) {
      builder.set(CollectorConfig.FLUSH_IDLE_MS, String.valueOf(idleFlushMillis));
    }
    if (rotateRecords != null) {
      builder.rotateRecords(rotateRecords);
    }
    return builder.build();
  }

  @Override
  public Integer call() throws Exception {
    CollectorConfig config = config();
    boolean console = System.console() != null;
    Collector collector = Collector.start(config, stats -> status(stats, console));
    out.println("collecting " + config.topics() + " into " + config.datasetRoot() + " as group " + config.groupId()
        + " (Ctrl-C or SIGTERM to stop)");
    Thread hook = new Thread(() -> {
      int code = ExitCode.OK;
      try {
        collector.close();
        if (console) {
          out.println();
        }
        out.println("stopped: " + collector.stats().statusLine());
      } catch (MonkeyException e) {
        System.err.println("monkey collect: " + e.getMessage());
        code = e.exitCode();
      }
      out.flush();
      System.err.flush();
      // A JVM ended by SIGTERM exits 143 unless a hook halts it: the promise is 0 after a clean stop.
      Runtime.getRuntime().halt(code);
    }, "monkey-collect-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    collector.awaitStopped();
    // Stopped without a signal: it failed.
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      Thread.currentThread().join(); // shutting down: the hook decides the exit code
    }
    collector.close();
    return ExitCode.OK;
  }

  private void status(CollectorStats stats, boolean console) {
    if (quiet) {
      return;
    }
    if (console) {
      out.print("\r" + stats.statusLine() + "   ");
      out.flush();
    } else {
      out.println(stats.statusLine());
    }
  }

  /** Runs {@code collect} on its own (tests start it as a separate process and kill -9 it). */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command on its own, mapping a {@link MonkeyException} to its exit code and message as the root command does. */
  static CommandLine commandLine() {
    CommandLine commandLine = new CommandLine(new CollectCommand());
    commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof MonkeyException m) {
        cmd.getErr().println("monkey collect: " + m.getMessage());
        return m.exitCode();
      }
      throw e;
    });
    return commandLine;
  }
}
