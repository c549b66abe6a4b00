package dev.activationmonkey.collector.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.activationmonkey.errors.ExitCode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CollectCommandTest {
  @TempDir Path dir;

  private record Outcome(int exitCode, String err) {}

  private Outcome run(String... args) {
    CommandLine commandLine = CollectCommand.commandLine();
    StringWriter err = new StringWriter();
    commandLine.setErr(new PrintWriter(err));
    int code = commandLine.execute(args);
    return new Outcome(code, err.toString());
  }

  @Test
  void anUnreachableBrokerExitsFourWithAMessageAndWritesNothing() {
    Path dataset = dir.resolve("data");
    Outcome outcome = run("--bootstrap-servers", "127.0.0.1:1", "--dataset", dataset.toString(), "--set", "startup.timeout.ms=1500");
    assertEquals(ExitCode.UNAVAILABLE, outcome.exitCode(), outcome.err());
    assertTrue(outcome.err().contains("no Kafka broker answered at 127.0.0.1:1"), outcome.err());
    assertFalse(outcome.err().contains("\tat "), "no stack trace: " + outcome.err());
    assertFalse(Files.exists(dataset.resolve("snapshots")));
  }

  @Test
  void invalidConfigurationExitsTwoNamingTheKey() {
    Outcome outcome = run("--bootstrap-servers", "b:9092", "--set", "rotate.records=-5");
    assertEquals(ExitCode.INVALID_INPUT, outcome.exitCode());
    assertTrue(outcome.err().contains("rotate.records must be positive"), outcome.err());
  }

  @Test
  void anUnknownKafkaPropertyExitsTwoNamingIt() {
    Outcome outcome = run("--bootstrap-servers", "b:9092", "--set", "kafka.bogus.setting=1");
    assertEquals(ExitCode.INVALID_INPUT, outcome.exitCode());
    assertTrue(outcome.err().contains("unknown Kafka client property 'kafka.bogus.setting'"), outcome.err());
  }

  @Test
  void flagsOverrideTheFile() throws Exception {
    Path file = dir.resolve("c.properties");
    Files.writeString(file, "bootstrap.servers=file:1\ngroup.id=from-file\ntopics=x\n");
    CollectCommand command = new CollectCommand();
    new CommandLine(command).parseArgs("--config", file.toString(), "--group", "from-flag", "--set", "flush.idle.ms=1234");
    var config = command.config();
    assertEquals("file:1", config.bootstrapServers());
    assertEquals("from-flag", config.groupId());
    assertEquals(1234, config.flushIdle().toMillis());
  }

  @Test
  void theHelpListsEveryKeyWithItsDefaultFromTheKeyDefinitions() {
    CommandLine commandLine = CollectCommand.commandLine();
    var footer = java.util.List.of(commandLine.getCommandSpec().usageMessage().footer());
    for (var key : dev.activationmonkey.collector.CollectorConfig.keys()) {
      assertTrue(footer.contains("  " + key.help()), key.name() + " in " + footer);
    }
    assertTrue(footer.contains("  rotate.records (long, default: 1000000)  A topic-partition's batch is committed (made visible) after"
        + " this many records..."), footer.toString());
    assertTrue(commandLine.getUsageMessage(CommandLine.Help.Ansi.OFF).contains("parquet.zstd.level (int, default: 3)"));
    assertEquals("Topics to consume. Key topics (default: monkey.snapshots).",
        commandLine.getCommandSpec().findOption("--topics").description()[0]);
  }
}
