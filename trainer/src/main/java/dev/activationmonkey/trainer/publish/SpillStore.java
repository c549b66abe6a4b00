package dev.activationmonkey.trainer.publish;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Append-only local files holding records (key and Avro-encoded value, exactly as they would have been
 * sent) that could not be delivered. A writer appends to its own {@code *.open} file and seals it as
 * {@code *.spill} before records are re-sent; a re-sender claims a sealed file by renaming it to
 * {@code *.claimed-<owner>}, so several executors sharing a directory (or a later run) never send one file
 * twice. A writer holds an exclusive lock on its open file for as long as it writes it; the operating system
 * releases the lock when the writer's process dies, so an open file nobody holds is a killed writer's (an
 * executor lost to {@code kill -9} or the OOM killer) and is claimed like a sealed one. A file cut short by a
 * crash is read up to its last complete record.
 *
 * <p>File layout: the 8-byte magic {@code AMSPILL1}, then per record: key length (int), key, value
 * length (int), value. Thread-safe.
 */
public final class SpillStore {
  static final byte[] MAGIC = {'A', 'M', 'S', 'P', 'I', 'L', 'L', '1'};
  private static final String OWNER = ManagementFactory.getRuntimeMXBean().getName().replaceAll("[^A-Za-z0-9]", "_")
      + "-" + UUID.randomUUID().toString().substring(0, 8);

  private final Path directory;
  private final long maxBytes;
  private static final AtomicLong SEQUENCE = new AtomicLong(); // per JVM, like OWNER: file names never collide
  private Path openFile;
  private FileChannel openChannel;
  private DataOutputStream out;
  private long bytesWritten;
  private long openRecords;

  /** One stored record. */
  public record Entry(byte[] key, byte[] value) {}

  public SpillStore(Path directory, long maxBytes) {
    this.directory = directory;
    this.maxBytes = maxBytes;
  }

  public Path directory() {
    return directory;
  }

  /**
   * Appends a record; false if it could not be written (disk error, or the size cap reached). The record
   * is flushed to the OS before returning, so a crash of this JVM does not lose it.
   */
  public synchronized boolean append(byte[] key, byte[] value) {
    long size = 8L + key.length + value.length;
    if (bytesWritten + size > maxBytes) {
      return false;
    }
    try {
      if (out == null) {
        Files.createDirectories(directory);
        String name = "spill-" + OWNER + "-" + SEQUENCE.incrementAndGet();
        // Created under a name no re-sender looks at, locked, then renamed (the lock stays with the file): an open
        // file is never seen unlocked while its writer lives. Released by the OS if this JVM dies (see claimAll).
        Path creating = directory.resolve(name + ".creating");
        openChannel = FileChannel.open(creating, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        openChannel.lock();
        openFile = directory.resolve(name + ".open");
        Files.move(creating, openFile, StandardCopyOption.ATOMIC_MOVE);
        out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(openChannel), 1 << 16));
        out.write(MAGIC);
      }
      out.writeInt(key.length);
      out.write(key);
      out.writeInt(value.length);
      out.write(value);
      out.flush();
      bytesWritten += size;
      openRecords++;
      return true;
    } catch (IOException e) {
      if (out == null) { // the file could not be set up: let the next append start over
        closeQuietly(openChannel);
        openChannel = null;
        openFile = null;
      }
      return false;
    }
  }

  /** Seals the file being written, if any, so that it can be claimed for re-sending. */
  public synchronized void seal() {
    if (out == null) {
      return;
    }
    try {
      out.flush();
      // Renamed while still locked: nobody can take it for a dead writer's file between the two steps.
      String name = openFile.getFileName().toString();
      Files.move(openFile, openFile.resolveSibling(name.substring(0, name.length() - ".open".length()) + ".spill"),
          StandardCopyOption.ATOMIC_MOVE);
      out.close(); // closes the channel, releasing the lock
    } catch (IOException e) {
      throw new UncheckedIOException("cannot seal spill file " + openFile, e);
    } finally {
      closeQuietly(openChannel);
      out = null;
      openChannel = null;
      openFile = null;
      openRecords = 0;
    }
  }

  /**
   * Seals the current file and claims every sealed file in the directory (of any writer), and every open file whose
   * writer died.
   */
  public List<Path> claimAll() {
    seal();
    List<Path> claimed = new ArrayList<>();
    if (!Files.isDirectory(directory)) {
      return claimed;
    }
    for (Path orphan : orphans()) {
      Path target = orphan.resolveSibling(orphan.getFileName() + ".claimed-" + OWNER);
      try (FileChannel channel = FileChannel.open(orphan, StandardOpenOption.WRITE)) {
        if (channel.tryLock() != null) { // still unlocked now that we hold it open: take it
          Files.move(orphan, target, StandardCopyOption.ATOMIC_MOVE);
          claimed.add(target);
        }
      } catch (NoSuchFileException | OverlappingFileLockException raced) {
        // Another re-sender took it, or another store in this JVM writes it.
      } catch (IOException e) {
        throw new UncheckedIOException("cannot claim spill file " + orphan + " of a writer that died", e);
      }
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.spill")) {
      for (Path file : files) {
        Path target = file.resolveSibling(file.getFileName() + ".claimed-" + OWNER);
        try {
          Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
          claimed.add(target);
        } catch (NoSuchFileException raced) {
          // Another re-sender claimed it first.
        } catch (AtomicMoveNotSupportedException e) {
          throw new UncheckedIOException("spill directory must support atomic renames: " + directory, e);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list spill directory " + directory, e);
    }
    return claimed;
  }

  /** Reads a claimed file; a truncated last record (a crash while writing) is ignored. */
  public static List<Entry> read(Path file) {
    List<Entry> entries = new ArrayList<>();
    try (InputStream raw = Files.newInputStream(file);
        DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16))) {
      byte[] magic = new byte[MAGIC.length];
      in.readFully(magic);
      if (!java.util.Arrays.equals(magic, MAGIC)) {
        throw new IOException("not a spill file (bad magic): " + file);
      }
      while (true) {
        int keyLength;
        try {
          keyLength = in.readInt();
        } catch (EOFException end) {
          break;
        }
        try {
          byte[] key = new byte[keyLength];
          in.readFully(key);
          byte[] value = new byte[in.readInt()];
          in.readFully(value);
          entries.add(new Entry(key, value));
        } catch (EOFException | NegativeArraySizeException | OutOfMemoryError truncated) {
          break;
        }
      }
    } catch (EOFException empty) {
      // Cut short before the magic was complete: nothing to read.
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read spill file " + file, e);
    }
    return entries;
  }

  /** Records currently in this writer's open (unsealed) file. */
  public synchronized long openRecords() {
    return openRecords;
  }

  /** Whether any spilled record (this writer's open file, sealed files, dead writers' open files) is in the directory. */
  public boolean hasPending() {
    if (openRecords() > 0) {
      return true;
    }
    if (!Files.isDirectory(directory)) {
      return false;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.spill")) {
      if (files.iterator().hasNext()) {
        return true;
      }
    } catch (IOException e) {
      return false;
    }
    return !orphans().isEmpty();
  }

  /** Open files in the directory that no living writer holds: their writer's process died (see the class comment). */
  private List<Path> orphans() {
    List<Path> orphans = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.open")) {
      for (Path file : files) {
        if (file.getFileName().toString().contains(OWNER)) {
          // This JVM's own (alive by definition). Never opened here: on Linux, closing any descriptor of a file drops
          // every POSIX lock the process holds on it, which would make a living writer's file look orphaned.
          continue;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
          FileLock probe = channel.tryLock();
          if (probe != null) {
            orphans.add(file); // closing the channel releases the probe
          }
        } catch (NoSuchFileException | OverlappingFileLockException alive) {
          // Sealed or claimed meanwhile, or written by another store of this JVM.
        }
      }
    } catch (IOException e) {
      return orphans;
    }
    return orphans;
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // The file is sealed already; a failed close only keeps a descriptor until this JVM exits.
      }
    }
  }

  /** Gives back the bytes of a file whose records were all re-sent or re-spilled. */
  synchronized void released(long bytes) {
    bytesWritten = Math.max(0, bytesWritten - bytes);
  }
}
