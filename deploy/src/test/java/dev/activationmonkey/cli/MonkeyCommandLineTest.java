package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.errors.ExitCode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MonkeyCommandLineTest {
  @TempDir Path dir;

  @Test
  void everyCommandHasHelp() {
    List<String> paths = new ArrayList<>();
    collect(Monkey.commandLine(), List.of(), paths);
    assertTrue(paths.size() >= 15, "expected the whole command tree, got " + paths);
    for (String path : paths) {
      List<String> args = new ArrayList<>(path.isEmpty() ? List.of() : List.of(path.split(" ")));
      args.add("--help");
      Result result = run(args.toArray(String[]::new));
      assertEquals(ExitCode.OK, result.code, "monkey " + path + " --help");
      assertTrue(result.out.contains("Usage: monkey"), "monkey " + path + " --help printed: " + result.out);
    }
    assertTrue(paths.contains("kafka start") && paths.contains("bench overhead") && paths.contains("demo"), paths.toString());
  }

  @Test
  void unknownOptionIsAUsageErrorWithExitCode2() {
    Result result = run("kafka", "start", "--prot", "1");
    assertEquals(ExitCode.INVALID_INPUT, result.code);
    assertTrue(result.err.contains("--prot"), result.err);
  }

  @Test
  void invalidPortIsRejectedBeforeAnythingStarts() {
    Result result = run("kafka", "start", "--data-dir", dir.toString(), "--port", "70000");
    assertEquals(ExitCode.INVALID_INPUT, result.code);
    assertTrue(result.err.contains("70000"), result.err);
    assertFalse(dir.resolve("server.properties").toFile().exists(), "nothing written for a rejected start");
  }

  @Test
  void statusOfABrokerNeverStartedSaysNotRunning() {
    Result result = run("kafka", "status", "--data-dir", dir.toString());
    assertEquals(ExitCode.UNAVAILABLE, result.code);
  }

  private static void collect(CommandLine commandLine, List<String> prefix, List<String> paths) {
    paths.add(String.join(" ", prefix));
    commandLine.getSubcommands().forEach((name, sub) -> {
      if (!name.equals("help") && sub.getCommandName().equals(name)) {
        List<String> next = new ArrayList<>(prefix);
        next.add(name);
        collect(sub, next, paths);
      }
    });
  }

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = Monkey.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int code = commandLine.execute(args);
    return new Result(code, out.toString(), err.toString());
  }
}
