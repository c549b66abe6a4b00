package dev.activationmonkey.trainer.cli;

import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.errors.MonkeyException;
import dev.activationmonkey.trainer.RunResult;
import dev.activationmonkey.trainer.Trainer;
import dev.activationmonkey.trainer.spec.JobSpec;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code monkey train --config job.yaml}: trains the job's network on Spark and streams snapshots to Kafka.
 * Also the {@code --class} for spark-submit (see {@link #main}).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {
        "Train a DL4J network on Spark and stream per-layer activation, gradient, parameter and update "
            + "snapshots to Kafka.",
        "Runs on Spark local mode (local[<workers>]) unless --master or an active SparkContext (spark-submit) "
            + "says otherwise. The job spec is validated before Spark starts."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:trained", "1:internal error", "2:invalid job spec or option", "4:Kafka or Spark unreachable", "5:training diverged (loss NaN or infinite)",
        "130:interrupted"})
public final class TrainCommand implements Callable<Integer> {

  @Option(names = {"-c", "--config"}, paramLabel = "JOB.yaml",
      description = "The job spec (YAML). Without it, the bundled demo job runs.")
  Path config;

  @Option(names = "--master", paramLabel = "URL", description = "Spark master, overriding training.master (e.g. local[4], yarn).")
  String master;

  @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]",
      description = "Kafka bootstrap servers, overriding logging.kafka.bootstrap-servers.")
  String bootstrapServers;

  @Option(names = {"-t", "--topic"}, paramLabel = "TOPIC", description = "Snapshot topic, overriding logging.kafka.topic.")
  String topic;

  @Option(names = "--epochs", paramLabel = "N", description = "Epochs, overriding training.epochs.")
  Integer epochs;

  @Option(names = "--validate-only", description = "Validate the job spec and exit.")
  boolean validateOnly;

  @Override
  public Integer call() {
    JobSpec spec = (config == null ? JobSpec.demo() : JobSpec.load(config))
        .withOverrides(new JobSpec.Overrides(bootstrapServers, topic, master, epochs));
    if (validateOnly) {
      System.out.println(spec.sourceName() + ": valid");
      return ExitCode.OK;
    }
    RunResult result = new Trainer().run(spec, System.out);
    System.out.println(result.summary());
    if (result.status() == dev.activationmonkey.snapshot.avro.RunStatus.DIVERGED) {
      System.err.println("monkey train: run " + result.runId() + " diverged: training loss not finite at iteration "
          + result.firstNonFinite() + (result.nonFiniteWorker() >= 0 ? " on worker " + result.nonFiniteWorker() : "")
          + " (exit " + ExitCode.DIVERGED + "; the log up to there is complete)");
      return ExitCode.DIVERGED;
    }
    return result.dropped() > 0 || result.pendingInSpill() > 0 ? ExitCode.UNAVAILABLE : ExitCode.OK;
  }

  /** Entry point for {@code spark-submit --class dev.activationmonkey.trainer.cli.TrainCommand}. */
  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command with {@link MonkeyException}s mapped to their exit codes and messages (no stack trace). */
  public static int execute(String... args) {
    CommandLine cli = new CommandLine(new TrainCommand());
    cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
      Throwable cause = e;
      while (cause != null && !(cause instanceof MonkeyException)) {
        cause = cause.getCause();
      }
      if (cause instanceof MonkeyException m) {
        commandLine.getErr().println("monkey train: " + m.getMessage());
        return m.exitCode();
      }
      commandLine.getErr().println("monkey train: internal error: " + e);
      e.printStackTrace(commandLine.getErr());
      return ExitCode.INTERNAL;
    });
    cli.setParameterExceptionHandler((e, a) -> {
      e.getCommandLine().getErr().println("monkey train: " + e.getMessage());
      e.getCommandLine().usage(e.getCommandLine().getErr());
      return ExitCode.INVALID_INPUT;
    });
    return cli.execute(args);
  }
}
