package dev.activationmonkey.analytics.cli;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.QueryResult;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "query", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Run read-only SQL (DuckDB dialect) over the activation log.",
        "Views: snapshots (de-duplicated: one row per snapshot identity, highest task attempt), activations,",
        "gradients, parameters, updates, evaluations, runs, run_ends, snapshots_all (as written).",
        "Example: monkey query --data /data/monkey \"SELECT layer_index, avg(zero_fraction) FROM activations GROUP BY 1\""})
public final class QueryCommand implements Callable<Integer> {
  /** Output formats. */
  public enum Format { table, csv, json }

  @Spec
  CommandSpec spec;

  @Option(names = "--data", required = true, paramLabel = "URI", description = "The collector's dataset root.")
  String data;

  @Option(names = "--format", defaultValue = "table", paramLabel = "FORMAT",
      description = "Output: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).")
  Format format;

  @Option(names = "--max-rows", defaultValue = "10000", paramLabel = "N",
      description = "Print at most N rows (default ${DEFAULT-VALUE}).")
  int maxRows;

  @Parameters(index = "0", paramLabel = "SQL", description = "One SELECT statement.")
  String sql;

  @Override
  public Integer call() {
    QueryResult result;
    try (ActivationLog log = ActivationLog.open(data)) {
      result = log.query(sql, maxRows + 1);
      PrintWriter err = spec.commandLine().getErr();
      log.badFiles().forEach((f, why) -> err.println("warning: unreadable file left out: " + f + " (" + why + ")"));
      err.flush();
    }
    boolean truncated = result.rows().size() > maxRows;
    QueryResult shown = truncated
        ? new QueryResult(result.columns(), result.types(), result.rows().subList(0, maxRows)) : result;
    PrintWriter out = spec.commandLine().getOut();
    out.print(switch (format) {
      case table -> QueryFormats.table(shown);
      case csv -> QueryFormats.csv(shown);
      case json -> QueryFormats.json(shown);
    });
    out.flush();
    if (truncated) {
      spec.commandLine().getErr().println("(more than " + maxRows + " rows; raise --max-rows to see them)");
      spec.commandLine().getErr().flush();
    }
    return 0;
  }
}
