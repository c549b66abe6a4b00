package dev.activationmonkey.analytics.cli;

import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.errors.MonkeyException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The analytics commands on their own (the {@code monkey} root in deploy/ registers the same classes).
 * {@link #commandLine} wires the error handling both use: a {@link MonkeyException} prints its message,
 * without a stack trace, and exits with its code.
 */
@Command(name = "monkey-analytics", mixinStandardHelpOptions = true,
    description = "SQL, reports, heatmaps and activation maximization over the activation log.",
    subcommands = {QueryCommand.class, ReportCommand.class, HeatmapCommand.class, MaximizeCommand.class,
        ServeCommand.class})
public final class AnalyticsCli implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(commandLine(new AnalyticsCli()).execute(args));
  }

  /** A CommandLine for {@code command} with the project's exit-code mapping. */
  public static CommandLine commandLine(Object command) {
    CommandLine cl = new CommandLine(command);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setExecutionExceptionHandler((e, line, parsed) -> {
      PrintWriter err = line.getErr();
      if (e instanceof MonkeyException m) {
        err.println("monkey " + line.getCommandName() + ": " + m.getMessage());
        err.flush();
        return m.exitCode();
      }
      err.println("monkey " + line.getCommandName() + ": internal error: " + e);
      e.printStackTrace(err);
      err.flush();
      return ExitCode.INTERNAL;
    });
    return cl;
  }
}
