package dev.activationmonkey.trainer.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spill files across processes: a living writer's open file is never taken; once its process is killed (no chance to
 * seal), the file is claimed by another JVM and its records read back intact.
 */
class SpillStoreTest {

  @Test
  void anOpenFileIsClaimedOnlyOnceItsWriterProcessIsKilled(@TempDir Path dir) throws Exception {
    Process writer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Writer.class.getName(), dir.toString(), "25")
        .redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("written", out.readLine(), "the writer process appended its records");
      SpillStore here = new SpillStore(dir, 1 << 20);

      assertFalse(here.hasPending(), "a living writer's open file is not pending for others");
      assertTrue(here.claimAll().isEmpty(), "a living writer's open file is not claimed");

      writer.destroyForcibly(); // SIGKILL: no shutdown hook, no seal
      assertTrue(writer.waitFor(30, TimeUnit.SECONDS));
      assertTrue(here.hasPending(), "a killed writer's open file is pending");
      List<Path> claimed = here.claimAll();
      assertEquals(1, claimed.size(), "the killed writer's file is claimed: " + claimed);
      List<String> values = new ArrayList<>();
      for (SpillStore.Entry e : SpillStore.read(claimed.get(0))) {
        values.add(new String(e.value(), StandardCharsets.UTF_8));
      }
      assertEquals(25, values.size());
      assertEquals("record-0", values.get(0));
      assertEquals("record-24", values.get(24));
      assertFalse(here.hasPending(), "nothing left once claimed");
      assertTrue(here.claimAll().isEmpty(), "a claimed file is not claimed twice");
    } finally {
      writer.destroyForcibly();
    }
  }

  @Test
  void thisJvmsOwnOpenFileIsSealedAndClaimedButNeverTakenForAnOrphan(@TempDir Path dir) {
    SpillStore a = new SpillStore(dir, 1 << 20);
    SpillStore b = new SpillStore(dir, 1 << 20);
    assertTrue(a.append(new byte[] {1}, "x".getBytes(StandardCharsets.UTF_8)));
    assertTrue(b.append(new byte[] {2}, "y".getBytes(StandardCharsets.UTF_8)), "two stores of one JVM, two files");
    List<Path> claimed = b.claimAll(); // seals b's own file; a's file is alive (same JVM) and stays open
    assertEquals(1, claimed.size(), claimed.toString());
    assertEquals("y", new String(SpillStore.read(claimed.get(0)).get(0).value(), StandardCharsets.UTF_8));
    assertTrue(a.append(new byte[] {1}, "z".getBytes(StandardCharsets.UTF_8)), "a's lock and file survived b's scan");
    assertEquals(2, SpillStore.read(a.claimAll().get(0)).size());
  }

  /** A separate JVM: appends records, says so, then waits to be killed with its file open. */
  public static final class Writer {
    public static void main(String[] args) throws Exception {
      SpillStore store = new SpillStore(Path.of(args[0]), 1 << 20);
      for (int i = 0; i < Integer.parseInt(args[1]); i++) {
        store.append(new byte[] {(byte) i}, ("record-" + i).getBytes(StandardCharsets.UTF_8));
      }
      System.out.println("written");
      System.out.flush();
      Thread.sleep(TimeUnit.MINUTES.toMillis(5));
    }
  }
}
