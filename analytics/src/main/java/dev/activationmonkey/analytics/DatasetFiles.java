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

  private final Path root;
  private final Map<String, List<String>> files;

  private DatasetFiles(Path root, Map<String, List<String>> files) {
    this.root = root;
    this.files = files;
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
    return new DatasetFiles(absolute, files);
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
      String name = element.toString();
      if (name.startsWith("_") || name.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  public Path root() {
    return root;
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
