package dev.activationmonkey.collector.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommitLogTest {
  @TempDir java.nio.file.Path dir;
  private Storage storage;
  private CommitLog log;

  @BeforeEach
  void setUp() throws IOException {
    storage = Storage.open(dir.toString(), Map.of());
    log = new CommitLog(storage);
  }

  /** Writes a batch's temp files and returns its manifest, targets under snapshots/run_id=r/. */
  private CommitManifest batch(Path tempDir, long first, long last, String... contents) throws IOException {
    List<CommitManifest.Move> moves = new java.util.ArrayList<>();
    for (int i = 0; i < contents.length; i++) {
      Path temp = new Path(tempDir, "part-" + i + ".parquet");
      storage.write(temp, contents[i].getBytes(StandardCharsets.UTF_8));
      String target = "snapshots/run_id=r" + i + "/kind=activation/" + new DataFileName("t", 0, first, last).format();
      moves.add(new CommitManifest.Move(log.relative(temp), target));
    }
    return new CommitManifest(first, last, contents.length, moves);
  }

  private List<java.nio.file.Path> visibleFiles() throws IOException {
    try (Stream<java.nio.file.Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).filter(p -> !dir.relativize(p).toString().startsWith("_")).sorted().toList();
    }
  }

  /**
   * A publish that lands but whose answer is lost (an S3 PUT whose response timed out) is still this writer's
   * commit: its files become visible instead of being deleted as a fenced batch's.
   */
  @Test
  void aPublishThatLandedButFailedToAnswerIsStillOurCommit() throws Exception {
    Storage lostAnswer = (Storage) java.lang.reflect.Proxy.newProxyInstance(Storage.class.getClassLoader(),
        new Class<?>[] {Storage.class}, (proxy, method, args) -> {
          Object result;
          try {
            result = method.invoke(storage, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
          if (method.getName().equals("publishExclusive") && Boolean.TRUE.equals(result)) {
            throw new java.net.SocketTimeoutException("Read timed out (the publish landed)");
          }
          return result;
        });
    CommitLog lossy = new CommitLog(lostAnswer);
    Path temp = lossy.newTempDir("t", 0, 0);
    lossy.commit("t", 0, batch(temp, 0, 9, "a"), temp);

    assertEquals(1, visibleFiles().size(), "the batch's file is visible");
    assertEquals(OptionalLong.of(10), log.recover("t", 0).resumeOffset());

    // Another writer's manifest under that name is still a fence.
    Path other = lossy.newTempDir("t", 0, 0);
    assertThrows(FencedException.class, () -> lossy.commit("t", 0, batch(other, 0, 9, "b"), other));
    assertFalse(storage.exists(other), "the fenced batch's temp directory is removed");
  }

  @Test
  void aFreshPartitionHasNoResumeOffset() throws IOException {
    assertEquals(OptionalLong.empty(), log.recover("t", 0).resumeOffset());
  }

  @Test
  void commitMakesFilesVisibleUnderFinalNamesAndRecoveryResumesAfterTheRange() throws Exception {
    Path temp = log.newTempDir("t", 0, 0);
    log.commit("t", 0, batch(temp, 0, 99, "a", "b"), temp);

    List<java.nio.file.Path> visible = visibleFiles();
    assertEquals(2, visible.size());
    assertEquals("t+0+0+99.parquet", visible.get(0).getFileName().toString());
    assertArrayEquals("a".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(dir.resolve("snapshots/run_id=r0/kind=activation/t+0+0+99.parquet")));
    assertFalse(storage.exists(temp), "temp directory removed");
    assertEquals(OptionalLong.of(100), log.recover("t", 0).resumeOffset());
    assertEquals(OptionalLong.empty(), log.recover("t", 1).resumeOffset(), "other partitions unaffected");
  }

  @Test
  void recoveryFinishesTheMovesOfAPublishedManifest() throws Exception {
    // A crash right after the commit point: manifest published, no file moved yet.
    Path temp = log.newTempDir("t", 0, 100);
    CommitManifest manifest = batch(temp, 100, 149, "x", "y", "z");
    storage.write(new Path(log.stateDir("t", 0), "commit-" + String.format("%020d", 100)), manifest.serialize());
    assertTrue(visibleFiles().isEmpty());

    CommitLog.Recovery recovery = log.recover("t", 0);

    assertEquals(OptionalLong.of(150), recovery.resumeOffset());
    assertEquals(3, recovery.rolledForward());
    assertEquals(3, visibleFiles().size());
    // and a second recovery changes nothing
    CommitLog.Recovery again = log.recover("t", 0);
    assertEquals(0, again.rolledForward());
    assertEquals(3, visibleFiles().size());
  }

  @Test
  void recoveryDeletesLeftoversOfUncommittedBatches() throws Exception {
    Path committedTemp = log.newTempDir("t", 0, 0);
    log.commit("t", 0, batch(committedTemp, 0, 9, "a"), committedTemp);
    Path dead = log.newTempDir("t", 0, 0); // a batch over offsets already committed: can only be fenced
    batch(dead, 0, 5, "fenced one day");
    Path atResume = log.newTempDir("t", 0, 10); // may be a live zombie's, about to publish commit-10
    batch(atResume, 10, 19, "never committed");
    storage.write(new Path(log.stateDir("t", 0), "_pending-123"), "half a manifest".getBytes(StandardCharsets.UTF_8));

    CommitLog.Recovery recovery = log.recover("t", 0);

    assertEquals(OptionalLong.of(10), recovery.resumeOffset());
    assertEquals(2, recovery.leftoversDeleted());
    assertFalse(storage.exists(dead));
    assertTrue(storage.exists(atResume), "a batch starting at the resume offset may still be committed by its writer");
    assertEquals(1, visibleFiles().size());

    // Our own commit of offset 10 fences that writer for good: its leftovers go with the commit.
    Path ours = log.newTempDir("t", 0, 10);
    log.commit("t", 0, batch(ours, 10, 12, "b"), ours);
    assertFalse(storage.exists(atResume));
    assertEquals(2, visibleFiles().size());
  }

  @Test
  void aZombieThatPublishesAfterARecoveryListedTheDirectoryKeepsItsFiles() throws Exception {
    Path first = log.newTempDir("t", 0, 0);
    log.commit("t", 0, batch(first, 0, 9, "a"), first);
    Path zombie = log.newTempDir("t", 0, 10);
    CommitManifest zombieBatch = batch(zombie, 10, 19, "zombie");
    // The new owner recovers before the zombie publishes: it must leave the zombie's batch alone.
    assertEquals(OptionalLong.of(10), log.recover("t", 0).resumeOffset());
    log.commit("t", 0, zombieBatch, zombie);
    assertEquals(2, visibleFiles().size(), "the zombie's commit is whole");
    assertEquals(OptionalLong.of(20), log.recover("t", 0).resumeOffset());
  }

  @Test
  void aSecondCommitOfTheSameRangeIsFencedAndLeavesNothingVisible() throws Exception {
    Path winner = log.newTempDir("t", 0, 0);
    log.commit("t", 0, batch(winner, 0, 49, "winner"), winner);
    Path zombie = log.newTempDir("t", 0, 0);
    CommitManifest stale = batch(zombie, 0, 79, "zombie");

    FencedException e = assertThrows(FencedException.class, () -> log.commit("t", 0, stale, zombie));

    assertTrue(e.getMessage().contains("0..79"), e.getMessage());
    assertEquals(1, visibleFiles().size());
    assertArrayEquals("winner".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(visibleFiles().get(0)));
    assertFalse(storage.exists(zombie), "the loser's temp files are deleted");
    assertEquals(OptionalLong.of(50), log.recover("t", 0).resumeOffset());
  }

  @Test
  void withoutTheStateDirectoryTheResumeOffsetComesFromDataFileNames() throws Exception {
    Path temp = log.newTempDir("t", 0, 0);
    log.commit("t", 0, batch(temp, 0, 41, "a"), temp);
    Path temp2 = log.newTempDir("t", 0, 42);
    log.commit("t", 0, batch(temp2, 42, 77, "b", "c"), temp2);
    storage.delete(new Path(storage.root(), "_collector"), true);

    assertEquals(OptionalLong.of(78), log.recover("t", 0).resumeOffset());
    assertEquals(OptionalLong.empty(), log.recover("other", 0).resumeOffset());
  }

  @Test
  void aDamagedManifestStopsRecoveryWithAMessageNamingIt() throws Exception {
    storage.write(new Path(log.stateDir("t", 0), "commit-" + String.format("%020d", 0)), "garbage".getBytes(StandardCharsets.UTF_8));
    IOException e = assertThrows(IOException.class, () -> log.recover("t", 0));
    assertTrue(e.getMessage().contains("damaged commit manifest"), e.getMessage());
  }

  @Test
  void manifestsRoundTripAndTruncationIsDetected() {
    CommitManifest m = new CommitManifest(5, 9, 4, List.of(new CommitManifest.Move("_collector/a", "snapshots/b")));
    assertEquals(m, CommitManifest.parse(m.serialize()));
    byte[] bytes = m.serialize();
    byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length - 4);
    assertThrows(IllegalArgumentException.class, () -> CommitManifest.parse(truncated));
  }
}
