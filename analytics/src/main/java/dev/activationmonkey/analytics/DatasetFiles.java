package dev.activationmonkey.analytics;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.errors.InvalidInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The Parquet files of one dataset root, per table ({@code snapshots}, {@code runs}, {@code evaluations},
 * {@code run_ends}). Files and folders whose names start with {@code _} or {@code .} are a writer's
 * in-progress temp files (the collector writes to a temp name and renames) and are never read, by either
 * engine.
 */
public final class DatasetFiles {
  public static final String SNAPSHOTS = "snapshots";
  public static final String RUNS = "runs";
  public static final String EVALUATIONS = "evaluations";
  public static final String RUN_ENDS = "run_ends";
  public static final List<String> TABLES = List.of(SNAPSHOTS, RUNS, EVALUATIONS, RUN_ENDS);

  private final String root;
  private final Map<String, List<String>> files;

  private DatasetFiles(String root, Map<String, List<String>> files) {
    this.root = root;
    this.files = files;
  }

  /**
   * A dataset listed elsewhere (the Spark engine lists through Hadoop's {@code FileSystem}).
   *
   * @param root the dataset root as readers address it (a local path or a URI such as {@code hdfs://nn/monkey})
   * @param files per table, the Parquet files to read (in-progress and hidden ones already left out)
   */
  public static DatasetFiles of(String root, Map<String, List<String>> files) {
    requireNonNull(root, "root is null");
    Map<String, List<String>> copy = new TreeMap<>();
    for (String table : TABLES) {
      copy.put(table, List.copyOf(files.getOrDefault(table, List.of())));
    }
    return new DatasetFiles(root, copy);
  }

  /** Lists the dataset under {@code root}; a missing or unreadable root is an {@link InvalidInputException}. */
  public static DatasetFiles list(Path root) {
    requireNonNull(root, "root is null");
    Path absolute = root.toAbsolutePath().normalize();
    if (!Files.exists(absolute)) {
      throw new InvalidInputException("Dataset path " + root + " does not exist. Pass --data the collector's output root "
          + "(the folder that holds snapshots/, runs/, evaluations/).");
    }
    if (!Files.isDirectory(absolute)) {
      throw new InvalidInputException("Dataset path " + root + " is not a folder. Pass --data the collector's output root.");
    }
    Map<String, List<String>> files = new TreeMap<>();
    for (String table : TABLES) {
      files.put(table, listParquet(absolute.resolve(table)));
    }
    return new DatasetFiles(absolute.toString(), files);
  }

  private static List<String> listParquet(Path tableDir) {
    if (!Files.isDirectory(tableDir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(tableDir)) {
      List<String> out = new ArrayList<>();
      walk.filter(Files::isRegularFile)
          .filter(p -> p.getFileName().toString().endsWith(".parquet"))
          .filter(p -> !hidden(tableDir.relativize(p)))
          .forEach(p -> out.add(p.toString()));
      Collections.sort(out);
      return List.copyOf(out);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + tableDir, e);
    }
  }

  /** True when any path element starts with {@code _} or {@code .} (an in-progress or hidden file). */
  static boolean hidden(Path relative) {
    for (Path element : relative) {
      if (hiddenName(element.toString())) {
        return true;
      }
    }
    return false;
  }

  /** True for a URI with a scheme other than {@code file} (a Windows drive letter is not a scheme). */
  public static boolean isRemote(String uri) {
    int colon = uri.indexOf(':');
    int slash = uri.indexOf('/');
    if (colon <= 1 || slash >= 0 && slash < colon) {
      return false;
    }
    String scheme = uri.substring(0, colon);
    return scheme.matches("[A-Za-z][A-Za-z0-9+.-]*") && !scheme.equalsIgnoreCase("file");
  }

  /** True for a file or folder name that starts with {@code _} or {@code .}: a writer's in-progress or hidden entry. */
  public static boolean hiddenName(String name) {
    return name.startsWith("_") || name.startsWith(".");
  }

  /** The dataset root: a local absolute path, or the URI it was listed under. */
  public String root() {
    return root;
  }

  /** The folder of one table under the root. */
  public String tableRoot(String table) {
    return root.endsWith("/") ? root + table : root + "/" + table;
  }

  public List<String> files(String table) {
    return files.getOrDefault(table, List.of());
  }

  /** The same dataset without the given files (quarantined as unreadable). */
  public DatasetFiles without(java.util.Collection<String> bad) {
    Map<String, List<String>> kept = new TreeMap<>();
    files.forEach((table, list) -> kept.put(table, list.stream().filter(f -> !bad.contains(f)).toList()));
    return new DatasetFiles(root, kept);
  }

  public List<String> allFiles() {
    List<String> all = new ArrayList<>();
    files.values().forEach(all::addAll);
    return all;
  }
}
