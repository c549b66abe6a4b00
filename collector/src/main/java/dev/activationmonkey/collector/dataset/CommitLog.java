package dev.activationmonkey.collector.dataset;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exactly-once protocol between the collector and the dataset; the dataset is the source of
 * truth, Kafka's committed offsets only a hint.
 *
 * <p>Per topic-partition, state lives under {@code <root>/_collector/<topic>+<partition>/} (readers
 * skip directories starting with {@code _}): temp directories of batches being written, and commit
 * manifests {@code commit-<firstOffset>}. A commit:
 *
 * <ol>
 *   <li>the batch's Parquet files are complete (closed, synced) in its temp directory;
 *   <li>the manifest is written aside and published under {@code commit-<firstOffset>} only if no
 *       such name exists. This is the commit point, and the fence: a stale owner whose batch starts
 *       where another owner already committed finds the name taken ({@link FencedException});
 *   <li>each file is renamed to its final name (a single atomic rename, so a reader sees a file
 *       whole or not at all);
 *   <li>manifests beyond the newest {@value #KEPT_MANIFESTS} and the temp directory are deleted.
 * </ol>
 *
 * <p>Recovery (on partition assignment) finishes every manifest's moves (roll forward: a crash
 * between 2 and 3 loses nothing), deletes leftovers of uncommitted batches that start before the resume point (one
 * starting at it may be a live zombie's, and goes with the next commit), and resumes at the newest
 * manifest's last offset + 1. Without a manifest (the state directory was removed) it falls back to
 * the offset ranges in the data files' names.
 */
public final class CommitLog {
  private static final Logger log = LoggerFactory.getLogger(CommitLog.class);

  /** Old manifests kept, so that a stale owner many batches behind still finds its range taken. */
  static final int KEPT_MANIFESTS = 256;

  static final String STATE_DIR = "_collector";
  private static final String MANIFEST_PREFIX = "commit-";
  private static final String TEMP_PREFIX = "tmp-";
  private static final String PENDING_PREFIX = "_pending-";

  private final Storage storage;

  public CommitLog(Storage storage) {
    this.storage = requireNonNull(storage, "storage is null");
  }

  public Storage storage() {
    return storage;
  }

  /** What recovery found and did for one topic-partition. */
  public record Recovery(OptionalLong resumeOffset, int rolledForward, int leftoversDeleted) {}

  /** A fresh temp directory for a batch starting at {@code firstOffset}, unique to this writer. */
  public Path newTempDir(String topic, int partition, long firstOffset) {
    return new Path(stateDir(topic, partition), TEMP_PREFIX + firstOffset + "-" + UUID.randomUUID());
  }

  public Path stateDir(String topic, int partition) {
    return new Path(new Path(storage.root(), STATE_DIR), topic + "+" + partition);
  }

  /** The path relative to the dataset root, as written in manifests. */
  public String relative(Path path) {
    String root = storage.root().toUri().getPath();
    String p = path.toUri().getPath();
    if (!p.startsWith(root + "/")) {
      throw new IllegalArgumentException(path + " is not under the dataset root " + storage.root());
    }
    return p.substring(root.length() + 1);
  }

  private Path absolute(String relative) {
    return new Path(storage.root(), relative);
  }

  /**
   * Makes a batch visible (see the class comment).
   *
   * @throws FencedException if another writer committed a batch starting at the same offset; nothing of
   *     this batch became visible and its temp directory was deleted
   */
  public void commit(String topic, int partition, CommitManifest manifest, Path tempDir)
      throws IOException, FencedException {
    Path dir = stateDir(topic, partition);
    Path pending = new Path(dir, PENDING_PREFIX + manifest.firstOffset() + "-" + UUID.randomUUID());
    Path published = manifestPath(topic, partition, manifest.firstOffset());
    boolean won;
    try {
      storage.write(pending, manifest.serialize());
      won = storage.publishExclusive(pending, published);
    } catch (IOException e) {
      // Our pending manifest was removed as dead by the writer that published this name first: while we wrote it
      // (HDFS then fails the write: "File does not exist ... [Lease. Holder: ...]") or before we published it. Or
      // the publish itself succeeded and only its answer was lost.
      if (!storage.exists(published)) {
        throw e;
      }
      // Ours if it holds our bytes: the publish landed and only its answer failed (an S3 PUT whose response timed
      // out). A manifest that moves files names its batch's temp directory, so no other writer's has these bytes.
      won = java.util.Arrays.equals(storage.read(published), manifest.serialize());
    }
    if (!won) {
      if (tempDir != null) {
        storage.delete(tempDir, true);
      }
      throw new FencedException("offsets " + manifest.firstOffset() + ".." + manifest.lastOffset() + " of " + topic + "-"
          + partition + " were already committed by another collector; dropping this batch");
    }
    rollForward(manifest, true);
    if (tempDir != null) {
      storage.delete(tempDir, true);
    }
    pruneManifests(dir, manifest.firstOffset());
  }

  /** Recovers one topic-partition (see the class comment). */
  public Recovery recover(String topic, int partition) throws IOException {
    Path dir = stateDir(topic, partition);
    List<Long> firsts = new ArrayList<>();
    List<Path> others = new ArrayList<>();
    for (Path entry : storage.list(dir)) {
      String name = entry.getName();
      if (name.startsWith(MANIFEST_PREFIX)) {
        firsts.add(Long.parseLong(name.substring(MANIFEST_PREFIX.length())));
      } else {
        others.add(entry);
      }
    }
    firsts.sort(Comparator.naturalOrder());
    int rolled = 0;
    CommitManifest newest = null;
    // Only the newest manifests can have unfinished moves: a commit prunes after its own moves.
    for (int i = Math.max(0, firsts.size() - 2); i < firsts.size(); i++) {
      Path path = manifestPath(topic, partition, firsts.get(i));
      CommitManifest manifest;
      try {
        manifest = CommitManifest.parse(storage.read(path));
      } catch (IllegalArgumentException e) {
        // Published manifests are complete by construction (written aside, then linked); a broken one
        // means outside damage. Refuse to guess where to resume.
        throw new IOException("damaged commit manifest " + path + ": " + e.getMessage()
            + ". Inspect it; delete it only if its offset range's files are all present.", e);
      }
      rolled += rollForward(manifest, false);
      newest = manifest;
    }
    OptionalLong resume = newest != null ? OptionalLong.of(newest.lastOffset() + 1) : scanDataFiles(topic, partition);
    // Only now, after the moves out of them: temp directories of batches never committed, manifests
    // never published. Not those of a batch starting at the resume offset (or later): that may be a
    // live writer's (a zombie's, paused past its session) that can still publish it and would then
    // point at deleted files. Such leftovers go with the next commit of the partition.
    int leftovers = 0;
    for (Path other : others) {
      long first = firstOffsetOf(other.getName());
      if (first < 0 || (resume.isPresent() && first < resume.getAsLong())) {
        storage.delete(other, true);
        leftovers++;
      }
    }
    if (newest != null) {
      pruneManifests(dir, -1);
    }
    return new Recovery(resume, newest != null ? rolled : 0, leftovers);
  }

  /** Resume point from data file names, for a dataset whose state directory is gone. */
  private OptionalLong scanDataFiles(String topic, int partition) throws IOException {
    long last = -1;
    for (Path file : storage.listFilesRecursively(storage.root())) {
      var name = DataFileName.parse(file.getName());
      if (name.isPresent() && name.get().topic().equals(topic) && name.get().partition() == partition) {
        last = Math.max(last, name.get().lastOffset());
      }
    }
    return last < 0 ? OptionalLong.empty() : OptionalLong.of(last + 1);
  }

  /** Data files this log's manifests already committed, by target; for tests and tools. */
  public Map<String, CommitManifest> manifests(String topic, int partition) throws IOException {
    Map<String, CommitManifest> result = new HashMap<>();
    for (Path entry : storage.list(stateDir(topic, partition))) {
      if (entry.getName().startsWith(MANIFEST_PREFIX)) {
        result.put(entry.getName(), CommitManifest.parse(storage.read(entry)));
      }
    }
    return result;
  }

  /**
   * Finishes a manifest's moves. A file missing under both names is an error for a commit in progress
   * (our own files); in recovery it is reported but does not stop the collector, since users may
   * delete old data on purpose.
   */
  private int rollForward(CommitManifest manifest, boolean strict) throws IOException {
    int moved = 0;
    for (CommitManifest.Move move : manifest.moves()) {
      Path temp = absolute(move.temp());
      Path target = absolute(move.target());
      if (storage.rename(temp, target)) {
        moved++;
      } else if (!storage.exists(target)) {
        String message = "committed file missing: neither " + temp + " nor " + target + " exists";
        if (strict) {
          throw new IOException(message);
        }
        log.warn("{} (deleted by hand?)", message);
      }
    }
    return moved;
  }

  /**
   * Deletes manifests beyond the newest {@value #KEPT_MANIFESTS} and, after our commit of a batch
   * starting at {@code committedFirst}, other writers' temp directories and pending manifests of
   * batches starting there or earlier: their offsets are committed, so they can only be fenced.
   */
  private void pruneManifests(Path dir, long committedFirst) throws IOException {
    List<Path> manifests = new ArrayList<>();
    for (Path entry : storage.list(dir)) {
      String name = entry.getName();
      if (name.startsWith(MANIFEST_PREFIX)) {
        manifests.add(entry);
      } else if (committedFirst >= 0) {
        long first = firstOffsetOf(name);
        if (first >= 0 && first <= committedFirst) {
          try {
            storage.delete(entry, true);
            log.debug("deleted dead leftover {}", entry);
          } catch (IOException e) {
            // Best effort: our commit is done; a later commit or recovery tries again.
            log.debug("could not delete dead leftover {} yet: {}", entry, e.toString());
          }
        }
      }
    }
    if (manifests.size() <= KEPT_MANIFESTS) {
      return;
    }
    manifests.sort(Comparator.comparing(Path::getName));
    for (Path old : manifests.subList(0, manifests.size() - KEPT_MANIFESTS)) {
      storage.delete(old, false);
      log.debug("pruned {}", old);
    }
  }

  /** The first offset in a temp directory's or pending manifest's name ({@code tmp-<first>-<uuid>}), or -1. */
  static long firstOffsetOf(String name) {
    String rest = name.startsWith(TEMP_PREFIX) ? name.substring(TEMP_PREFIX.length())
        : name.startsWith(PENDING_PREFIX) ? name.substring(PENDING_PREFIX.length()) : null;
    if (rest == null) {
      return -1;
    }
    int dash = rest.indexOf('-');
    try {
      return dash > 0 ? Long.parseLong(rest.substring(0, dash)) : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private Path manifestPath(String topic, int partition, long firstOffset) {
    return new Path(stateDir(topic, partition), MANIFEST_PREFIX + String.format("%020d", firstOffset));
  }
}
