package dev.activationmonkey.collector.dataset;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * A local dataset root, through java.nio: renames are rename(2) (Hadoop's local rename falls back to
 * copy-and-delete, which is not atomic), exclusive publication is link(2), syncs are fsync, and no process is
 * forked for permissions (Hadoop's local file system without its native library forks {@code ls}/{@code chmod},
 * ~20 ms per file created).
 */
final class LocalStorage implements Storage {
  private final Path root;

  /** @param root a qualified {@code file:} path */
  LocalStorage(Path root) {
    this.root = requireNonNull(root, "root is null");
  }

  @Override
  public Path root() {
    return root;
  }


  @Override
  public OutputFile outputFile(Path path) {
    return new LocalOutputFile(nio(path));
  }

  @Override
  public void write(Path path, byte[] bytes) throws IOException {
    java.nio.file.Path file = nio(path);
    Files.createDirectories(file.getParent());
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap(bytes));
      channel.force(true);
    }
  }

  @Override
  public byte[] read(Path path) throws IOException {
    return Files.readAllBytes(nio(path));
  }

  @Override
  public boolean exists(Path path) {
    return Files.exists(nio(path));
  }

  @Override
  public List<Path> list(Path dir) throws IOException {
    List<Path> entries = new ArrayList<>();
    try (var stream = Files.list(nio(dir))) {
      stream.forEach(p -> entries.add(new Path(dir, p.getFileName().toString())));
    } catch (java.nio.file.NoSuchFileException e) {
      return List.of();
    }
    return entries;
  }

  @Override
  public List<Path> listFilesRecursively(Path dir) throws IOException {
    List<Path> files = new ArrayList<>();
    if (!exists(dir)) {
      return files;
    }
    java.nio.file.Path base = nio(dir);
    try (var walk = Files.walk(base)) {
      walk.filter(Files::isRegularFile).forEach(p -> files.add(new Path(dir, base.relativize(p).toString())));
    }
    files.removeIf(p -> HiddenPaths.isHidden(dir, p));
    return files;
  }

  /** rename(2): atomic, and it replaces an existing target. */
  @Override
  public boolean rename(Path source, Path target) throws IOException {
    java.nio.file.Path dst = nio(target);
    Files.createDirectories(dst.getParent());
    try {
      Files.move(nio(source), dst, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return true;
    } catch (java.nio.file.NoSuchFileException e) {
      return false;
    }
  }

  /** A hard link (link(2) fails if the name exists), then the source is unlinked: atomic. */
  @Override
  public boolean publishExclusive(Path source, Path target) throws IOException {
    java.nio.file.Path src = nio(source);
    java.nio.file.Path dst = nio(target);
    try {
      Files.createLink(dst, src);
    } catch (FileAlreadyExistsException e) {
      Files.deleteIfExists(src);
      return false;
    }
    Files.delete(src);
    return true;
  }

  /** Entries that vanish meanwhile (another collector deleting the same leftovers) are not an error. */
  @Override
  public void delete(Path path, boolean recursive) throws IOException {
    java.nio.file.Path target = nio(path);
    if (!Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (recursive && Files.isDirectory(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      // Entries may vanish while we walk (another collector finishing the same moves, or deleting the
      // same dead leftover): that is not an error.
      Files.walkFileTree(target, new java.nio.file.SimpleFileVisitor<>() {
        @Override
        public java.nio.file.FileVisitResult visitFile(java.nio.file.Path file, java.nio.file.attribute.BasicFileAttributes attrs)
            throws IOException {
          Files.deleteIfExists(file);
          return java.nio.file.FileVisitResult.CONTINUE;
        }

        @Override
        public java.nio.file.FileVisitResult visitFileFailed(java.nio.file.Path file, IOException e) throws IOException {
          if (e instanceof java.nio.file.NoSuchFileException) {
            return java.nio.file.FileVisitResult.CONTINUE;
          }
          throw e;
        }

        @Override
        public java.nio.file.FileVisitResult postVisitDirectory(java.nio.file.Path dir, IOException e) throws IOException {
          if (e != null && !(e instanceof java.nio.file.NoSuchFileException)) {
            throw e;
          }
          Files.deleteIfExists(dir);
          return java.nio.file.FileVisitResult.CONTINUE;
        }
      });
    } else {
      Files.deleteIfExists(target);
    }
  }

  private static java.nio.file.Path nio(Path path) {
    return Paths.get(path.toUri());
  }

  /**
   * Local files through java.nio: Hadoop's local file system without its native library forks
   * {@code ls}/{@code chmod} processes for permissions, which cost ~20 ms per file created.
   */
  private static final class LocalOutputFile extends NamedOutputFile {
    private final java.nio.file.Path path;

    LocalOutputFile(java.nio.file.Path path) {
      super(path.toString());
      this.path = path;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) throws IOException {
      return open(StandardOpenOption.CREATE_NEW);
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
      return open(StandardOpenOption.CREATE);
    }

    private PositionOutputStream open(StandardOpenOption create) throws IOException {
      FileChannel opened = null;
      for (int attempt = 1; opened == null; attempt++) {
        try {
          Files.createDirectories(path.getParent());
          opened = FileChannel.open(path, create, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.NoSuchFileException e) {
          // Another collector that committed past this batch's first offset deletes its temp directory as a fenced
          // writer's leftover, and may do so while it is being created here: create it again and go on (the batch
          // is dropped as fenced when it tries to commit). The file itself existing under CREATE_NEW is an error.
          if (attempt == 3 || e instanceof java.nio.file.FileAlreadyExistsException && path.toString().equals(e.getFile())) {
            throw e;
          }
        }
      }
      FileChannel channel = opened;
      java.io.OutputStream buffered = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(channel), 1 << 16);
      return new PositionOutputStream() {
        private long position;

        @Override
        public long getPos() {
          return position;
        }

        @Override
        public void write(int b) throws IOException {
          buffered.write(b);
          position++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          buffered.write(b, off, len);
          position += len;
        }

        @Override
        public void flush() throws IOException {
          buffered.flush();
        }

        @Override
        public void close() throws IOException {
          try (channel) {
            buffered.flush();
            channel.force(true);
          }
        }
      };
    }
  }

}
