package dev.activationmonkey.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code monkey bench all} at tiny sizes writes its table (no figure is judged: they are noise at these sizes). */
class BenchAllIT {
  @TempDir Path dir;

  @Test
  void writesTheTableToItsFileAndBetweenTheReadmeMarkers() throws Exception {
    Path out = dir.resolve("benchmarks.md");
    Path readme = dir.resolve("README.md");
    Files.writeString(readme, "# R\n\nbefore\n" + BenchAll.START + "\nold table\n" + BenchAll.END + "\nafter\n");
    int code = Monkey.commandLine().execute("bench", "all", "--quick", "--only", "collector,analytics", "--out", out.toString(),
        "--readme", readme.toString());
    assertEquals(0, code);
    String table = Files.readString(out);
    assertTrue(table.matches("(?s).*Machine: \\d+ cores, [0-9.]+ GiB memory, load average.*"), table);
    assertTrue(table.contains("| collector | `./monkey bench collector --records 3000 --rounds 1` | "), table);
    assertTrue(table.contains("ratio collector/raw: "), table);
    assertTrue(table.contains("| analytics | `./monkey bench analytics --rows 20000 --rounds 1` | "), table);
    assertTrue(table.contains("median: report "), table);
    String updated = Files.readString(readme);
    assertTrue(updated.startsWith("# R\n\nbefore\n" + BenchAll.START + "\nMachine: ") && updated.endsWith(BenchAll.END + "\nafter\n"), updated);
    assertTrue(!updated.contains("old table") && updated.contains("| collector |"), updated);
  }
}
