package dev.activationmonkey.analytics.cli;

import dev.activationmonkey.analytics.report.Thresholds;
import dev.activationmonkey.analytics.serve.DashboardServer;
import dev.activationmonkey.errors.ExitCode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "The dashboard: a web page to browse runs, layers, alerts, charts and heatmaps of a dataset, updated live",
        "while the collector commits new files. Reads through the same report code as `monkey report`; everything",
        "it loads comes from this jar (no internet needed). Stop with Ctrl-C.",
        "Exit codes: 2 bad input (missing folder, port taken), 130 interrupted."})
public final class ServeCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--data", required = true, paramLabel = "DIR",
      description = "The collector's dataset root (a local or mounted folder; it may still be empty).")
  Path data;

  @Option(names = "--port", defaultValue = "8080", description = "TCP port (default ${DEFAULT-VALUE}; 0 = a free one).")
  int port;

  @Option(names = "--bind", defaultValue = "127.0.0.1", paramLabel = "ADDRESS",
      description = "Address to listen on (default ${DEFAULT-VALUE}: this machine only; 0.0.0.0 exposes the "
          + "dashboard, which has no login, to the network).")
  String bind;

  @Option(names = "--checkpoints", paramLabel = "DIR",
      description = "The trainer's checkpoint-dir: its <runId>-epoch-<n>.zip models get activation maximization pictures.")
  Path checkpoints;

  @Option(names = "--examples", paramLabel = "IDX.gz",
      description = "Real examples (an IDX image file, e.g. MNIST's t10k-images-idx3-ubyte.gz) shown beside a maximized"
          + " neuron: those that excite it most.")
  Path examples;

  @Option(names = "--rules", paramLabel = "FILE", description = "Thresholds as KEY=VALUE lines, as for `monkey report`.")
  Path rules;

  @Option(names = "--threshold", paramLabel = "KEY=VALUE", description = "Override one threshold (repeatable).")
  Map<String, String> thresholds = new LinkedHashMap<>();

  @Override
  public Integer call() throws IOException, InterruptedException {
    Thresholds t = Thresholds.load(rules, thresholds);
    try (DashboardServer server = DashboardServer.start(data, bind, port, t, checkpoints, examples)) {
      Thread hook = new Thread(server::close, "monkey-serve-stop");
      Runtime.getRuntime().addShutdownHook(hook);
      PrintWriter out = spec.commandLine().getOut();
      out.println("Dashboard of " + data.toAbsolutePath() + " at " + server.url() + " (Ctrl-C stops it)");
      out.flush();
      server.awaitStop();
    }
    return ExitCode.OK;
  }
}
