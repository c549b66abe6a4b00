package dev.activationmonkey.collector.dataset;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * The dataset's file system, through Hadoop's {@link FileSystem} so that {@code hdfs://} and
 * {@code s3a://} roots work as well as local paths. The few operations the commit protocol needs are
 * here, with their atomicity spelled out.
 */
public final class Storage {
  private final FileSystem fs;
  private final Path root;
  private final boolean local;

  private Storage(FileSystem fs, Path root, boolean local) {
    this.fs = fs;
    this.root = root;
    this.local = local;
  }

  /**
   * Opens the file system of a dataset root: a URI ({@code hdfs://nn/path}, {@code s3a://bucket/p},
   * {@code file:///p}) or a plain local path.
   *
   * @param hadoopConf extra Hadoop settings (for example {@code fs.s3a.endpoint})
   */
  public static Storage open(String rootUri, Map<String, String> hadoopConf) throws IOException {
    requireNonNull(rootUri, "rootUri is null");
    URI uri = URI.create(rootUri.contains("://") ? rootUri : Paths.get(rootUri).toAbsolutePath().normalize().toUri().toString());
    Configuration conf = new Configuration();
    hadoopConf.forEach(conf::set);
    FileSystem fs = FileSystem.get(uri, conf);
    boolean local = false;
    if (fs instanceof LocalFileSystem checksummed) {
      // The raw local file system: no .crc side files next to every Parquet file, and hsync is a real fsync.
      fs = checksummed.getRawFileSystem();
      local = true;
    }
    String text = uri.toString();
    Path root = fs.makeQualified(new Path(text.length() > 1 && text.endsWith("/") ? text.substring(0, text.length() - 1) : text));
    fs.mkdirs(root);
    return new Storage(fs, root, local);
  }

  public Path root() {
    return root;
  }

  public FileSystem fileSystem() {
    return fs;
  }

  /** A Parquet output file that is fsync'ed when closed, so a renamed file is durable. */
  public OutputFile outputFile(Path path) {
    return local ? new LocalOutputFile(nio(path)) : new SyncingOutputFile(path);
  }

  /** Writes a small file and syncs it. */
  public void write(Path path, byte[] bytes) throws IOException {
    if (local) {
      java.nio.file.Path file = nio(path);
      Files.createDirectories(file.getParent());
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
        channel.write(ByteBuffer.wrap(bytes));
        channel.force(true);
      }
      return;
    }
    try (FSDataOutputStream out = fs.create(path, true)) {
      out.write(bytes);
      out.hsync();
    }
  }

  public byte[] read(Path path) throws IOException {
    if (local) {
      return Files.readAllBytes(nio(path));
    }
    try (InputStream in = fs.open(path)) {
      return in.readAllBytes();
    }
  }

  public boolean exists(Path path) throws IOException {
    return local ? Files.exists(nio(path)) : fs.exists(path);
  }

  /** The names of the entries of a directory; empty if it does not exist. */
  public List<Path> list(Path dir) throws IOException {
    List<Path> entries = new ArrayList<>();
    if (local) {
      try (var stream = Files.list(nio(dir))) {
        stream.forEach(p -> entries.add(new Path(dir, p.getFileName().toString())));
      } catch (java.nio.file.NoSuchFileException e) {
        return List.of();
      }
      return entries;
    }
    try {
      for (FileStatus status : fs.listStatus(dir)) {
        entries.add(status.getPath());
      }
    } catch (java.io.FileNotFoundException e) {
      return List.of();
    }
    return entries;
  }

  /** Every file under a directory, recursively, skipping hidden entries ({@code _x}, {@code .x}). */
  public List<Path> listFilesRecursively(Path dir) throws IOException {
    List<Path> files = new ArrayList<>();
    if (!exists(dir)) {
      return files;
    }
    if (local) {
      java.nio.file.Path base = nio(dir);
      try (var walk = Files.walk(base)) {
        walk.filter(Files::isRegularFile).forEach(p -> files.add(new Path(dir, base.relativize(p).toString())));
      }
      files.removeIf(p -> isHidden(dir, p));
      return files;
    }
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
    while (it.hasNext()) {
      Path p = it.next().getPath();
      if (!isHidden(dir, p)) {
        files.add(p);
      }
    }
    return files;
  }

  private static boolean isHidden(Path base, Path p) {
    for (Path q = p; q != null && !q.equals(base); q = q.getParent()) {
      String name = q.getName();
      if (name.startsWith("_") || name.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  /** Renames, creating the target's parent directory first; false if the source does not exist. */
  public boolean rename(Path source, Path target) throws IOException {
    if (local) {
      // Hadoop's local rename falls back to copy-and-delete, which is not atomic: use rename(2) itself.
      java.nio.file.Path dst = Paths.get(target.toUri());
      Files.createDirectories(dst.getParent());
      try {
        Files.move(Paths.get(source.toUri()), dst, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return true;
      } catch (java.nio.file.NoSuchFileException e) {
        return false;
      }
    }
    fs.mkdirs(target.getParent());
    try {
      return fs.rename(source, target);
    } catch (java.io.FileNotFoundException e) {
      return false;
    }
  }

  /**
   * Moves {@code source} to {@code target} only if {@code target} does not exist, atomically: of two
   * processes publishing the same target, exactly one succeeds. Local file systems use a hard link
   * (link(2) fails if the name exists); HDFS's rename already refuses to replace. Object stores have
   * no such primitive: there the check and the rename are two steps (run one collector group per
   * dataset there).
   *
   * @return false if the target existed
   */
  public boolean publishExclusive(Path source, Path target) throws IOException {
    if (local) {
      java.nio.file.Path src = Paths.get(source.toUri());
      java.nio.file.Path dst = Paths.get(target.toUri());
      try {
        Files.createLink(dst, src);
      } catch (FileAlreadyExistsException e) {
        Files.deleteIfExists(src);
        return false;
      }
      Files.delete(src);
      return true;
    }
    if (fs.exists(target)) {
      fs.delete(source, false);
      return false;
    }
    boolean renamed = fs.rename(source, target);
    if (!renamed) {
      fs.delete(source, false);
    }
    return renamed;
  }

  public void delete(Path path, boolean recursive) throws IOException {
    if (!local) {
      fs.delete(path, recursive);
      return;
    }
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

  /** What both output files share: no block size, a path for messages. */
  private abstract static class NamedOutputFile implements OutputFile {
    private final String name;

    NamedOutputFile(String name) {
      this.name = name;
    }

    @Override
    public boolean supportsBlockSize() {
      return false;
    }

    @Override
    public long defaultBlockSize() {
      return 0;
    }

    @Override
    public String getPath() {
      return name;
    }
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

  private final class SyncingOutputFile extends NamedOutputFile {
    private final Path path;

    SyncingOutputFile(Path path) {
      super(path.toString());
      this.path = path;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) throws IOException {
      return wrap(fs.create(path, false));
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
      return wrap(fs.create(path, true));
    }

    private PositionOutputStream wrap(FSDataOutputStream out) {
      return new PositionOutputStream() {
        @Override
        public long getPos() throws IOException {
          return out.getPos();
        }

        @Override
        public void write(int b) throws IOException {
          out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
          out.flush();
        }

        @Override
        public void close() throws IOException {
          try (out) {
            out.hsync();
          }
        }
      };
    }
  }
}
