package dev.activationmonkey.collector.cli;

import dev.activationmonkey.collector.Collector;
import dev.activationmonkey.collector.CollectorConfig;
import dev.activationmonkey.collector.CollectorStats;
import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.errors.MonkeyException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
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
    // The footer, and the defaults in the flags' descriptions, come from CollectorConfig's key definitions.
    modelTransformer = CollectCommand.KeyHelp.class)
public final class CollectCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Configuration file (.properties, .yaml or .yml).")
  Path configFile;

  @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]", description = "Kafka brokers (required here or in the file).")
  String bootstrapServers;

  @Option(names = {"-t", "--topics"}, paramLabel = "TOPIC[,...]", description = "Topics to consume.")
  String topics;

  @Option(names = {"-g", "--group"}, paramLabel = "GROUP", description = "Consumer group.")
  String group;

  @Option(names = {"-d", "--dataset"}, paramLabel = "PATH|URI", description = "Dataset root: a local path, hdfs:// or s3a://.")
  String dataset;

  @Option(names = "--dead-letter-topic", paramLabel = "TOPIC", description = "Dead-letter topic.")
  String deadLetterTopic;

  @Option(names = "--idle-flush", paramLabel = "MILLIS", description = "Commit a partition's records after this long without new ones.")
  Long idleFlushMillis;

  @Option(names = "--rotate-records", paramLabel = "N", description = "Commit a partition's records every N records.")
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

  /** The configuration key each flag sets. */
  private static final Map<String, String> FLAG_KEYS = Map.of(
      "--bootstrap-servers", CollectorConfig.BOOTSTRAP_SERVERS,
      "--topics", CollectorConfig.TOPICS,
      "--group", CollectorConfig.GROUP_ID,
      "--dataset", CollectorConfig.DATASET_ROOT,
      "--dead-letter-topic", CollectorConfig.DEAD_LETTER_TOPIC,
      "--idle-flush", CollectorConfig.FLUSH_IDLE_MS,
      "--rotate-records", CollectorConfig.ROTATE_RECORDS);

  /** Writes the keys' defaults and documentation, from {@link CollectorConfig#keys()}, into the help. */
  static final class KeyHelp implements CommandLine.IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      Map<String, CollectorConfig.Key> keys = new LinkedHashMap<>();
      CollectorConfig.keys().forEach(k -> keys.put(k.name(), k));
      for (OptionSpec option : List.copyOf(spec.options())) {
        CollectorConfig.Key key = keys.get(FLAG_KEYS.get(option.longestName()));
        if (key != null && key.shownDefault() != null) {
          String[] description = option.description().clone();
          description[description.length - 1] += " Key " + key.name() + " (default: " + key.shownDefault() + ").";
          spec.remove(option);
          spec.addOption(option.toBuilder().description(description).build());
        }
      }
      List<String> footer = new ArrayList<>();
      footer.add("");
      footer.add("Any key can also be set in --config (.properties or .yaml) or with --set KEY=VALUE:");
      keys.values().forEach(k -> footer.add("  " + k.help()));
      footer.add("  kafka.<Kafka consumer/producer/admin property> (e.g. kafka.security.protocol=SASL_SSL; unknown ones are rejected),");
      footer.add("  hadoop.<property> (e.g. hadoop.fs.s3a.endpoint).");
      footer.add("Flags override the file. Exit codes: 0 stopped cleanly, 2 invalid configuration, 4 Kafka unreachable, 1 internal error.");
      spec.usageMessage().footer(footer.toArray(String[]::new));
      return spec;
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
