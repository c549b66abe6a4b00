package dev.activationmonkey.cli;

import dev.activationmonkey.benchmarks.analytics.AnalyticsBenchmark;
import dev.activationmonkey.analytics.cli.HeatmapCommand;
import dev.activationmonkey.analytics.cli.MaximizeCommand;
import dev.activationmonkey.analytics.cli.QueryCommand;
import dev.activationmonkey.analytics.cli.ReportCommand;
import dev.activationmonkey.analytics.cli.ServeCommand;
import dev.activationmonkey.benchmarks.collector.CollectorBenchmark;
import dev.activationmonkey.benchmarks.collector.RestartBenchmark;
import dev.activationmonkey.collector.cli.CollectCommand;
import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.errors.MonkeyException;
import dev.activationmonkey.benchmarks.trainer.OverheadBenchmark;
import dev.activationmonkey.trainer.cli.ExportDataCommand;
import dev.activationmonkey.trainer.cli.SequenceSamplesCommand;
import dev.activationmonkey.benchmarks.trainer.ScalingBenchmark;
import dev.activationmonkey.trainer.cli.TrainCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParseResult;

/** The {@code monkey} command line: one entry point for every part of Activation Monkey. */
@Command(
    name = "monkey",
    mixinStandardHelpOptions = true,
    versionProvider = Monkey.Version.class,
    description = {
      "Activation Monkey: per-layer neuron telemetry for DL4J networks trained on Spark,",
      "streamed through Kafka into Parquet, with reports, heatmaps and SQL.",
      ""
    },
    footer = {
      "",
      "Exit codes: 0 ok, 1 internal error, 2 invalid input, 3 report alerts (--fail-on),",
      "4 a service (Kafka, Spark) unreachable, 5 training diverged, 130 interrupted.",
      "Run 'monkey COMMAND --help' for a command's options."
    },
    subcommands = {
      DemoCommand.class,
      KafkaCommand.class,
      TrainCommand.class,
      Monkey.Data.class,
      CollectCommand.class,
      QueryCommand.class,
      ReportCommand.class,
      HeatmapCommand.class,
      MaximizeCommand.class,
      ServeCommand.class,
      Monkey.Bench.class,
      CommandLine.HelpCommand.class
    })
public final class Monkey implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Benchmarks: each runs the contender and its baseline side by side, alternating, and prints ratios. */
  @Command(
      name = "bench",
      mixinStandardHelpOptions = true,
      description = "Benchmarks against a baseline in the same run (prints ratios).",
      subcommands = {OverheadBenchmark.class, ScalingBenchmark.class, CollectorBenchmark.class, RestartBenchmark.class, AnalyticsBenchmark.class, BenchAll.class})
  static final class Bench implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(spec.commandLine().getOut());
    }
  }

  /** Data preparation: a job's examples as pre-batched DataSet files; the generated sequence set. */
  @Command(
      name = "data",
      mixinStandardHelpOptions = true,
      description = "Prepare training data (monkey data export: pre-batched DL4J DataSet files; monkey data sequences:"
          + " a small generated sequence set for recurrent networks).",
      subcommands = {ExportDataCommand.class, SequenceSamplesCommand.class})
  static final class Data implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(spec.commandLine().getOut());
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Monkey.class.getPackage().getImplementationVersion();
      return new String[] {"Activation Monkey " + (version == null ? "(development build)" : version)};
    }
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line; tests run commands through it to see exit codes and output. */
  public static CommandLine commandLine() {
    ScalingBenchmark.clusters = BenchCluster::start;
    CommandLine commandLine = new CommandLine(new Monkey());
    commandLine.setExecutionExceptionHandler(Monkey::handle);
    return commandLine;
  }

  private static int handle(Exception e, CommandLine commandLine, ParseResult parseResult) {
    PrintWriter err = commandLine.getErr();
    MonkeyException known = findMonkeyException(e);
    if (known != null) {
      err.println(commandLine.getColorScheme().errorText("error: ").toString() + known.getMessage());
      err.flush();
      return known.exitCode();
    }
    if (e instanceof InterruptedException) {
      err.println("interrupted");
      return ExitCode.INTERRUPTED;
    }
    err.println(commandLine.getColorScheme().errorText("internal error: ").toString() + e);
    e.printStackTrace(err);
    err.flush();
    return ExitCode.INTERNAL;
  }

  private static MonkeyException findMonkeyException(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof MonkeyException monkey) {
        return monkey;
      }
    }
    return null;
  }
}
