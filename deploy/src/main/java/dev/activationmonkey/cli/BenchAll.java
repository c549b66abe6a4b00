package dev.activationmonkey.cli;

import dev.activationmonkey.benchmarks.analytics.AnalyticsBenchmark;
import dev.activationmonkey.benchmarks.collector.CollectorBenchmark;
import dev.activationmonkey.benchmarks.collector.RestartBenchmark;
import dev.activationmonkey.benchmarks.trainer.OverheadBenchmark;
import dev.activationmonkey.benchmarks.trainer.ScalingBenchmark;
import dev.activationmonkey.errors.ExitCode;
import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.errors.MonkeyException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code monkey bench all}: every benchmark one after the other, their ratio lines gathered into one markdown table with
 * the machine's cores, memory and load, written to a file and, between markers, into README.
 */
@Command(
    name = "all",
    mixinStandardHelpOptions = true,
    description = {
      "Run every benchmark (overhead, scaling, collector, restart, analytics) and write a markdown table of their ratios",
      "with the machine's cores, memory and load average to --out; with --readme, also between the",
      "<!-- bench-all:start --> and <!-- bench-all:end --> markers of that file. --quick: tiny sizes (checks that they run;",
      "the figures mean nothing)."
    })
final class BenchAll implements Callable<Integer> {
  static final String START = "<!-- bench-all:start -->";
  static final String END = "<!-- bench-all:end -->";
  /** The lines of a benchmark's output that carry its result. */
  private static final java.util.regex.Pattern RESULT_LINE = java.util.regex.Pattern.compile("\\bratio\\b|\\bmedian\\b|first committed file");

  @Option(names = "--out", paramLabel = "FILE", description = "Markdown file to write (default: ${DEFAULT-VALUE}).", defaultValue = "docs/benchmarks.md")
  Path out;

  @Option(names = "--readme", paramLabel = "FILE", description = "Also replace the table between the bench-all markers of this file (e.g. README.md).")
  Path readme;

  @Option(names = "--only", split = ",", paramLabel = "NAME", description = "Only these benchmarks (overhead, scaling, collector, restart, analytics).")
  List<String> only;

  @Option(names = "--quick", description = "Tiny sizes: checks that every benchmark runs; the ratios are noise.")
  boolean quick;

  /** One benchmark: its command and arguments at the documented sizes and at --quick sizes. */
  private record Bench(String name, Supplier<Object> command, String[] full, String[] quick) {}

  private static final List<Bench> BENCHES = List.of(
      new Bench("overhead", OverheadBenchmark::new, new String[] {"--rounds", "30", "--control-arm"},
          new String[] {"--rounds", "1", "--block-steps", "5", "--examples", "640", "--skip-every"}),
      new Bench("scaling", ScalingBenchmark::new, new String[] {"--models", "mlp", "--rounds", "5", "--epochs", "3", "--control-arm"},
          new String[] {"--models", "mlp", "--rounds", "1", "--epochs", "1"}),
      new Bench("collector", CollectorBenchmark::new, new String[] {"--records", "200000", "--rounds", "5"},
          new String[] {"--records", "3000", "--rounds", "1"}),
      new Bench("restart", RestartBenchmark::new, new String[] {"--rounds", "1"}, new String[] {"--rounds", "1", "--arms", "auto"}),
      new Bench("analytics", AnalyticsBenchmark::new, new String[] {"--rounds", "5"}, new String[] {"--rows", "20000", "--rounds", "1"}));

  @Override
  public Integer call() throws Exception {
    List<Bench> chosen = new ArrayList<>();
    for (Bench b : BENCHES) {
      if (only == null || only.contains(b.name())) {
        chosen.add(b);
      }
    }
    if (only != null && chosen.size() != only.size()) {
      throw new InvalidInputException("--only: unknown benchmark among " + only + "; known: overhead, scaling, collector, restart, analytics");
    }
    Map<String, List<String>> results = new LinkedHashMap<>();
    Map<String, String> commands = new LinkedHashMap<>();
    PrintStream console = System.out;
    for (Bench b : chosen) {
      String[] args = quick ? b.quick() : b.full();
      commands.put(b.name(), "./monkey bench " + b.name() + " " + String.join(" ", args));
      console.println("== " + commands.get(b.name()));
      ByteArrayOutputStream captured = new ByteArrayOutputStream();
      PrintStream tee = new PrintStream(new Tee(console, captured), true, StandardCharsets.UTF_8);
      int code;
      System.setOut(tee);
      try {
        CommandLine cli = new CommandLine(b.command().get());
        cli.setOut(new java.io.PrintWriter(tee, true));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
          if (e instanceof MonkeyException m) {
            console.println("monkey bench " + b.name() + ": " + m.getMessage());
            return m.exitCode();
          }
          throw e;
        });
        code = cli.execute(args);
      } finally {
        System.setOut(console);
      }
      if (code != ExitCode.OK) {
        throw new MonkeyException(code, "monkey bench " + b.name() + " failed (exit " + code + "); its output is above");
      }
      results.put(b.name(), captured.toString(StandardCharsets.UTF_8).lines()
          .filter(l -> RESULT_LINE.matcher(l).find()).map(String::strip).toList());
    }
    String table = table(commands, results);
    Path parent = out.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(out, "# Benchmarks\n\nWritten by `./monkey bench all" + (quick ? " --quick" : "")
        + (only == null ? "" : " --only " + String.join(",", only)) + "`; do not edit by hand.\n\n"
        + table + "\n");
    console.println(table);
    console.println("written to " + out);
    if (readme != null) {
      replaceBetweenMarkers(readme, table);
      console.println("and into " + readme);
    }
    return ExitCode.OK;
  }

  static String table(Map<String, String> commands, Map<String, List<String>> results) {
    StringBuilder s = new StringBuilder();
    s.append(machine()).append("\n\n");
    s.append("| benchmark | command | result (contender vs baseline, same run) |\n|---|---|---|\n");
    results.forEach((name, lines) -> s.append("| ").append(name).append(" | `").append(commands.get(name)).append("` | ")
        .append(lines.isEmpty() ? "(no ratio printed)" : String.join("<br>", lines.stream().map(l -> l.replace("|", "\\|")).toList()))
        .append(" |\n"));
    return s.toString().strip();
  }

  /** Cores, memory and load average of this machine, and the time. */
  static String machine() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    long memory = os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getTotalMemorySize() : -1;
    return String.format(Locale.ROOT, "Machine: %d cores, %.1f GiB memory, load average %.2f (%s, Java %s), %s.",
        Runtime.getRuntime().availableProcessors(), memory / (double) (1L << 30), os.getSystemLoadAverage(), os.getName(),
        System.getProperty("java.version"), Instant.now().truncatedTo(ChronoUnit.SECONDS));
  }

  static void replaceBetweenMarkers(Path file, String table) throws IOException {
    String text = Files.readString(file);
    int start = text.indexOf(START);
    int end = text.indexOf(END);
    if (start < 0 || end < start) {
      throw new InvalidInputException(file + " has no " + START + " ... " + END + " section to write the table into");
    }
    Files.writeString(file, text.substring(0, start + START.length()) + "\n" + table + "\n" + text.substring(end));
  }

  /** Writes to the console and keeps a copy. */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int x) throws IOException {
      a.write(x);
      b.write(x);
    }

    @Override
    public void write(byte[] bytes, int off, int len) throws IOException {
      a.write(bytes, off, len);
      b.write(bytes, off, len);
    }

    @Override
    public void flush() throws IOException {
      a.flush();
      b.flush();
    }
  }
}
