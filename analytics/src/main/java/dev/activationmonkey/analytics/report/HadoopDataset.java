package dev.activationmonkey.analytics.report;

import dev.activationmonkey.analytics.DatasetFiles;
import dev.activationmonkey.errors.InvalidInputException;
import dev.activationmonkey.errors.ServiceUnavailableException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * A dataset listed through Hadoop's {@code FileSystem}, as the Spark engine reads it: a local path, or any URI a
 * connector on the classpath serves ({@code hdfs://}, {@code s3a://} with hadoop-aws, {@code abfs://}, {@code gs://}).
 * In-progress entries (names starting with {@code _} or {@code .}) are skipped, as {@link DatasetFiles} does locally,
 * and every file's Parquet footer is read once, so that an unreadable file is left out and named instead of failing
 * the whole report.
 */
final class HadoopDataset {
  private HadoopDataset() {}

  /** The files to read, and the files left out with the reader's error. */
  record Listing(DatasetFiles files, Map<String, String> badFiles) {}

  static Listing list(String uri, Configuration conf) {
    // A bare path means what it means to Spark: a path on the default file system (fs.defaultFS; local in local mode).
    Path root;
    FileSystem fs;
    try {
      root = new Path(uri);
      fs = root.getFileSystem(conf);
      root = fs.makeQualified(root);
    } catch (UnsupportedFileSystemException e) {
      throw new InvalidInputException("No Hadoop FileSystem serves '" + new Path(uri).toUri().getScheme() + "://' ("
          + uri + "). Put its connector on the classpath (s3a://: hadoop-aws and the AWS SDK bundle; gs://: "
          + "gcs-connector; abfs://: hadoop-azure), e.g. with spark-submit --packages, or copy the dataset to a local "
          + "folder.");
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException("--data " + uri + " is not a path or URI Hadoop can parse: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ServiceUnavailableException("Cannot reach the file system of " + uri + ": " + e.getMessage(), e);
    }
    boolean local = "file".equals(fs.getScheme());
    Map<String, List<String>> files = new TreeMap<>();
    Map<String, String> bad = new LinkedHashMap<>();
    try {
      if (!fs.exists(root)) {
        throw new InvalidInputException("Dataset path " + uri + " does not exist. Pass --data the collector's output "
            + "root (the folder that holds snapshots/, runs/, evaluations/).");
      }
      if (!fs.getFileStatus(root).isDirectory()) {
        throw new InvalidInputException("Dataset path " + uri + " is not a folder. Pass --data the collector's output root.");
      }
      for (String table : DatasetFiles.TABLES) {
        List<String> found = new ArrayList<>();
        Path dir = new Path(root, table);
        if (fs.exists(dir)) {
          walk(fs, dir, found, local);
        }
        Collections.sort(found);
        List<String> good = new ArrayList<>();
        for (String file : found) {
          String problem = footerProblem(file, local, conf);
          if (problem == null) {
            good.add(file);
          } else {
            bad.put(file, problem);
          }
        }
        files.put(table, good);
      }
    } catch (IOException e) {
      throw new ServiceUnavailableException("Cannot list " + uri + ": " + e.getMessage(), e);
    }
    String rootString = local ? new java.io.File(root.toUri().getPath()).getAbsolutePath() : root.toString();
    if (files.get(DatasetFiles.SNAPSHOTS).isEmpty()) {
      throw new InvalidInputException("No readable snapshot file under " + rootString + "/" + DatasetFiles.SNAPSHOTS
          + (bad.isEmpty() ? " (files starting with _ or . are in-progress and skipped). Has the collector written "
              + "anything yet?" : ". Unreadable: " + String.join(", ", bad.keySet())));
    }
    return new Listing(DatasetFiles.of(rootString, files), bad);
  }

  private static void walk(FileSystem fs, Path dir, List<String> out, boolean local) throws IOException {
    FileStatus[] entries;
    try {
      entries = fs.listStatus(dir);
    } catch (FileNotFoundException vanished) {
      return; // removed while listing (a collector's cleanup): nothing to read there
    }
    for (FileStatus entry : entries) {
      String name = entry.getPath().getName();
      if (DatasetFiles.hiddenName(name)) {
        continue;
      }
      if (entry.isDirectory()) {
        walk(fs, entry.getPath(), out, local);
      } else if (name.endsWith(".parquet")) {
        // Local files are named by their plain path, as the DuckDB engine names them.
        out.add(local ? entry.getPath().toUri().getPath() : entry.getPath().toString());
      }
    }
  }

  /**
   * Null if the file's footer reads, else the reader's error in one line. A file that is not Parquet, or is cut
   * short, is the file's problem; an I/O error reaching it (access denied, a timeout, throttling) is the storage's,
   * and stops the report with exit 4 rather than silently leave data out.
   */
  private static String footerProblem(String file, boolean local, Configuration conf) {
    Path path = local ? new Path(new java.io.File(file).toURI()) : new Path(file);
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(path, conf))) {
      reader.getFooter();
      return null;
    } catch (java.io.EOFException | RuntimeException e) {
      return oneLine(e);
    } catch (IOException e) {
      String message = oneLine(e);
      if (message.contains("Parquet") || message.contains("FileMetaData") || message.contains("footer")) {
        return message; // parquet-java reports a corrupt footer as an IOException
      }
      throw new ServiceUnavailableException("Cannot read " + file + ": " + message, e);
    }
  }

  private static String oneLine(Exception e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return message.lines().findFirst().orElse(message);
  }
}
