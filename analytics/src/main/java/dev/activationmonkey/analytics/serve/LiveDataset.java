package dev.activationmonkey.analytics.serve;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.analytics.ActivationLog;
import dev.activationmonkey.analytics.DatasetFiles;
import dev.activationmonkey.analytics.report.DuckDbEngine;
import dev.activationmonkey.analytics.report.Report;
import dev.activationmonkey.analytics.report.ReportBuilder;
import dev.activationmonkey.analytics.report.Thresholds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/**
 * The dataset as the dashboard reads it while a collector may be writing: only committed files (the collector
 * writes under a {@code _} or {@code .} name and renames on commit, {@link DatasetFiles}), listed again on each
 * {@link #version()} call. When the committed files change, the next read reopens the log and rebuilds the report
 * once; requests in between share it. All reads go through one lock: the embedded DuckDB connection is not shared
 * between threads.
 */
final class LiveDataset implements AutoCloseable {
  private final Path root;
  private final Thresholds thresholds;
  private String openedVersion;
  private View view;

  /** The opened log, its report engine and the report built from it, for one version of the dataset. */
  record View(String version, ActivationLog log, DuckDbEngine engine, Report report) {}

  LiveDataset(Path root, Thresholds thresholds) {
    this.root = requireNonNull(root, "root is null").toAbsolutePath().normalize();
    this.thresholds = requireNonNull(thresholds, "thresholds is null");
  }

  Path root() {
    return root;
  }

  /**
   * A digest of the committed files' names, sizes and modification times: it changes when the collector commits.
   * Cheap (a directory listing), so pages poll it.
   */
  String version() {
    DatasetFiles files = DatasetFiles.list(root);
    try {
      java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
      for (String file : files.allFiles()) {
        BasicFileAttributes a = Files.readAttributes(Path.of(file), BasicFileAttributes.class);
        digest.update((file + '\0' + a.size() + '\0' + a.lastModifiedTime().toMillis() + '\n')
            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(digest.digest(), 0, 8) + "-" + files.files(DatasetFiles.SNAPSHOTS).size();
    } catch (IOException e) {
      return "changing-" + System.nanoTime(); // a file renamed away between listing and reading: read again next time
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Runs {@code work} on the current view (reopened first if the dataset changed), under the lock. */
  synchronized <T> T read(Function<View, T> work) {
    String version = version();
    if (view == null || !version.equals(openedVersion)) {
      closeView();
      ActivationLog log = ActivationLog.open(root.toString());
      DuckDbEngine engine = new DuckDbEngine(log, true);
      try {
        Report report = new ReportBuilder(engine, thresholds).build(root.toString(), List.of());
        view = new View(version, log, engine, report);
        openedVersion = version;
      } catch (RuntimeException e) {
        engine.close();
        throw e;
      }
    }
    return work.apply(view);
  }

  private void closeView() {
    if (view != null) {
      view.engine().close();
      view = null;
      openedVersion = null;
    }
  }

  @Override
  public synchronized void close() {
    closeView();
  }
}
