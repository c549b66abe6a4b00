package dev.activationmonkey.collector.dataset;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * A dataset root on a Hadoop {@link FileSystem} ({@code hdfs://}, other connectors' schemes): syncs are hsync; HDFS's
 * rename is atomic and refuses to replace a file. A store with no atomic rename at all gets the exclusive publication
 * as a check and a rename, two steps; {@code s3a://} has its own fence ({@link S3Storage}).
 */
class HadoopStorage implements Storage {
  final FileSystem fs;
  private final Path root;

  /** @param root a path qualified by {@code fs} */
  HadoopStorage(FileSystem fs, Path root) {
    this.fs = requireNonNull(fs, "fs is null");
    this.root = requireNonNull(root, "root is null");
  }

  @Override
  public Path root() {
    return root;
  }


  @Override
  public OutputFile outputFile(Path path) {
    return new SyncingOutputFile(path);
  }

  @Override
  public void write(Path path, byte[] bytes) throws IOException {
    // Through syncing (hsync at close): a failed HDFS stream's stored exception must not be suppressed into itself.
    try (PositionOutputStream out = syncing(fs.create(path, true), path, hsyncs())) {
      out.write(bytes);
    }
  }

  /** Whether the file system's hsync makes a file durable; false where closing it does (object stores upload at close). */
  boolean hsyncs() {
    return true;
  }

  @Override
  public byte[] read(Path path) throws IOException {
    try (InputStream in = fs.open(path)) {
      return in.readAllBytes();
    }
  }

  @Override
  public boolean exists(Path path) throws IOException {
    return fs.exists(path);
  }

  @Override
  public List<Path> list(Path dir) throws IOException {
    List<Path> entries = new ArrayList<>();
    try {
      for (FileStatus status : fs.listStatus(dir)) {
        entries.add(status.getPath());
      }
    } catch (java.io.FileNotFoundException e) {
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
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
    while (it.hasNext()) {
      Path p = it.next().getPath();
      if (!HiddenPaths.isHidden(dir, p)) {
        files.add(p);
      }
    }
    return files;
  }

  @Override
  public boolean rename(Path source, Path target) throws IOException {
    fs.mkdirs(target.getParent());
    try {
      return fs.rename(source, target);
    } catch (java.io.FileNotFoundException e) {
      return false;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      // s3a's rename is a copy and a delete: a process killed between them leaves both names, and a later rename
      // (recovery rolling the commit forward) finds the target there. HDFS's rename returns false then; so do we.
      return false;
    }
  }

  /** HDFS's rename already refuses to replace; the existence check covers file systems whose rename does not. */
  @Override
  public boolean publishExclusive(Path source, Path target) throws IOException {
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

  @Override
  public void delete(Path path, boolean recursive) throws IOException {
    fs.delete(path, recursive);
  }

  private final class SyncingOutputFile extends NamedOutputFile {
    private final Path path;

    SyncingOutputFile(Path path) {
      super(path.toString());
      this.path = path;
    }

    @Override
    public PositionOutputStream create(long blockSizeHint) throws IOException {
      return syncing(fs.create(path, false), path, hsyncs());
    }

    @Override
    public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
      return syncing(fs.create(path, true), path, hsyncs());
    }
  }

  /**
   * A failed HDFS stream stores one exception and rethrows that same instance from every later call, close
   * included. Parquet closes its stream in try-with-resources, which would suppress the exception into itself
   * ({@code IllegalArgumentException: Self-suppression not permitted}) and hide the I/O failure the collector
   * handles (a fenced batch). Every exception after the first is therefore a fresh one whose cause is the stored
   * one.
   *
   * @param hsync whether to hsync before closing
   */
  static PositionOutputStream syncing(FSDataOutputStream out, Path path, boolean hsync) {
    return new PositionOutputStream() {
      private IOException thrown;

      private IOException once(IOException e) {
        if (thrown == null) {
          thrown = e;
          return e;
        }
        return new IOException(path + ": " + e.getMessage(), e);
      }

      @Override
      public long getPos() throws IOException {
        return out.getPos();
      }

      @Override
      public void write(int b) throws IOException {
        try {
          out.write(b);
        } catch (IOException e) {
          throw once(e);
        }
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        try {
          out.write(b, off, len);
        } catch (IOException e) {
          throw once(e);
        }
      }

      @Override
      public void flush() throws IOException {
        try {
          out.flush();
        } catch (IOException e) {
          throw once(e);
        }
      }

      @Override
      public void close() throws IOException {
        IOException failed = null;
        try {
          if (hsync) {
            out.hsync();
          }
        } catch (IOException e) {
          failed = once(e);
        }
        try {
          out.close();
        } catch (IOException e) {
          if (failed == null) {
            failed = once(e);
          } else if (e != failed && e != failed.getCause()) {
            failed.addSuppressed(e);
          }
        }
        if (failed != null) {
          throw failed;
        }
      }
    };
  }
}
