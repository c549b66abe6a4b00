package dev.activationmonkey.benchmarks.analytics;

import dev.activationmonkey.analytics.fixtures.SnapshotFileWriter;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.cli.AnalyticsCli;
import dev.activationmonkey.analytics.report.DuckDbEngine;
import dev.activationmonkey.analytics.report.Report;
import dev.activationmonkey.analytics.report.ReportBuilder;
import dev.activationmonkey.analytics.report.Thresholds;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code monkey bench analytics}: generates a synthetic log of at least {@code --rows} snapshot rows, then
 * times the full report (DuckDB engine, every run, every rule) against a bare DuckDB scan of the same
 * columns over the same files, alternating the two in one process, and prints the ratio of medians.
 */
@Command(name = "analytics", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Time the full report against a bare DuckDB scan of the same columns, alternating, and print the ratio.",
        "Generates the log first (DuckDB range()); target: ratio <= 3."})
public final class AnalyticsBenchmark implements Callable<Integer> {
  /** Runs the benchmark without the {@code monkey} launcher (docs/analytics.md, "Benchmark"). */
  public static void main(String[] args) {
    System.exit(AnalyticsCli.commandLine(new AnalyticsBenchmark()).execute(args));
  }

  /** The columns the report reads: the baseline scans exactly these. */
  static final List<String> REPORT_COLUMNS = List.of("run_id", "kind", "partition_id", "epoch", "iteration",
      "layer_index", "parameter_name", "attempt_number", "kafka_partition", "kafka_offset", "layer_name", "layer_type",
      "activation_function", "zero_fraction", "near_zero_fraction", "saturated_fraction", "l2_norm", "nan_count",
      "pos_inf_count", "neg_inf_count");

  @Spec
  CommandSpec spec;

  @Option(names = "--rows", defaultValue = "10000000", description = "Snapshot rows to generate (default ${DEFAULT-VALUE}).")
  long rows;

  @Option(names = "--rounds", defaultValue = "3", description = "Timed rounds of each, alternating (default ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--dir", description = "Where to generate the log (default: a temp folder, deleted after).")
  Path dir;

  @Option(names = "--reuse", description = "With --dir: reuse a log generated there before instead of writing it again.")
  boolean reuse;

  @Option(names = "--neurons", defaultValue = "32", description = "Neurons per layer (firing-rate list length).")
  int neurons;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    boolean temp = dir == null;
    Path root = temp ? Files.createTempDirectory("monkey-bench-") : dir;
    try {
      long start = System.nanoTime();
      SyntheticLog.Shape shape = SyntheticLog.Shape.forRows(rows, neurons);
      boolean existing = reuse && Files.isDirectory(root.resolve("snapshots"));
      long written = existing ? -1 : SyntheticLog.write(root, shape);
      if (existing) {
        out.println("reusing the log under " + root);
      } else out.printf(Locale.ROOT, "generated %,d snapshot rows (%d runs x %d layers x %d workers x %,d iterations x 7 kinds"
              + "/parameters, %d neurons per layer) in %.1f s under %s%n", written, shape.runs(), shape.layers(),
          shape.workers(), shape.iterations(), shape.neurons(), (System.nanoTime() - start) / 1e9, root);
      out.println("each round: a cold report (a new engine: nothing cached between rounds but the OS's file cache,"
          + " warm for both sides), then the bare scan");
      out.flush();
      List<Double> report = new ArrayList<>();
      List<Double> scan = new ArrayList<>();
      try (ActivationLog log = ActivationLog.open(root.toString())) {
        String baseline = baselineSql();
        for (int round = 0; round <= rounds; round++) {
          long t0 = System.nanoTime();
          Report r = new ReportBuilder(new DuckDbEngine(log, false), Thresholds.defaults()).build(root.toString(), List.of());
          long t1 = System.nanoTime();
          log.select(baseline, rs -> rs.getObject(1));
          long t2 = System.nanoTime();
          if (round == 0) {
            out.printf(Locale.ROOT, "warm-up: report %.2f s (%d runs, %d alerts), scan %.2f s%n", (t1 - t0) / 1e9,
                r.runs().size(), r.alerts().size(), (t2 - t1) / 1e9);
          } else {
            report.add((t1 - t0) / 1e9);
            scan.add((t2 - t1) / 1e9);
            out.printf(Locale.ROOT, "round %d: report %.2f s, bare scan %.2f s%n", round, report.get(round - 1),
                scan.get(round - 1));
          }
          out.flush();
        }
      }
      double ratio = median(report) / median(scan);
      out.printf(Locale.ROOT, "median: report %.2f s, bare scan %.2f s, ratio %.2fx (target <= 3x) on %d cores%n",
          median(report), median(scan), ratio, Runtime.getRuntime().availableProcessors());
      out.flush();
      return 0;
    } finally {
      if (temp) {
        try (Stream<Path> walk = Files.walk(root)) {
          walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  /** Reads every value of the report's columns (firing rates included), nothing more. */
  static String baselineSql() {
    StringBuilder sb = new StringBuilder("SELECT count(*)");
    for (String c : REPORT_COLUMNS) {
      sb.append(", max(").append(c).append(')');
    }
    return sb.append(", sum(list_sum(firing_rate)) FROM snapshots_all").toString();
  }

  static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
