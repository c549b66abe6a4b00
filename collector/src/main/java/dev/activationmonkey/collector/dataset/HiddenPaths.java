package dev.activationmonkey.collector.dataset;

import org.apache.hadoop.fs.Path;

/** Hidden entries ({@code _x}, {@code .x}: temp files, state, markers), which listings of data files skip. */
final class HiddenPaths {
  private HiddenPaths() {}

  /** Whether {@code p} or a directory between it and {@code base} is hidden. */
  static boolean isHidden(Path base, Path p) {
    for (Path q = p; q != null && !q.equals(base); q = q.getParent()) {
      String name = q.getName();
      if (name.startsWith("_") || name.startsWith(".")) {
        return true;
      }
    }
    return false;
  }
}
