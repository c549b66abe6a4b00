package dev.activationmonkey.collector.dataset;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.s3a.S3AFileSystem;
import org.apache.parquet.io.OutputFile;

/**
 * The dataset's file system: the few operations the commit protocol needs, with their atomicity spelled out.
 * Three implementations, chosen by {@link #open} from the root: local paths (and {@code file:} URIs) through
 * java.nio ({@link LocalStorage}), {@code s3a://} through Hadoop's s3a connector with a conditional-write fence
 * ({@link S3Storage}), every other scheme ({@code hdfs://}, ...) through Hadoop's {@link FileSystem}
 * ({@link HadoopStorage}). Paths are Hadoop {@link Path}s, qualified like {@link #root}, in
 * both.
 */
public interface Storage {
  /**
   * Opens the file system of a dataset root, creating the root: a URI ({@code hdfs://nn/path},
   * {@code s3a://bucket/p}, {@code file:///p}) or a plain local path.
   *
   * @param hadoopConf extra Hadoop settings (for example {@code fs.s3a.endpoint})
   */
  static Storage open(String rootUri, Map<String, String> hadoopConf) throws IOException {
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
    if (local) {
      return new LocalStorage(root);
    }
    return fs instanceof S3AFileSystem s3a ? new S3Storage(s3a, root) : new HadoopStorage(fs, root);
  }

  /** The dataset root, qualified ({@code file:/...}, {@code hdfs://nn/...}). */
  Path root();

  /** A Parquet output file that is fsync'ed when closed, so a renamed file is durable. */
  OutputFile outputFile(Path path);

  /** Writes a small file, replacing it if it exists, and syncs it. */
  void write(Path path, byte[] bytes) throws IOException;

  byte[] read(Path path) throws IOException;

  boolean exists(Path path) throws IOException;

  /** The entries of a directory; empty if it does not exist. */
  List<Path> list(Path dir) throws IOException;

  /** Every file under a directory, recursively, skipping hidden entries ({@code _x}, {@code .x}); empty if it does not exist. */
  List<Path> listFilesRecursively(Path dir) throws IOException;

  /**
   * Renames, creating the target's parent directory first; false if the source does not exist, or (where the file
   * system refuses to replace: HDFS, S3) the target does: an object store's rename is a copy and a delete, and a
   * process killed between the two leaves both.
   */
  boolean rename(Path source, Path target) throws IOException;

  /**
   * Moves {@code source} to {@code target} only if {@code target} does not exist, atomically where the file
   * system allows: of two processes publishing the same target, exactly one succeeds. The source is gone
   * afterwards either way.
   *
   * @return false if the target existed
   */
  boolean publishExclusive(Path source, Path target) throws IOException;

  /** Deletes a file, or a directory (with its contents if {@code recursive}); nothing if it does not exist. */
  void delete(Path path, boolean recursive) throws IOException;
}
