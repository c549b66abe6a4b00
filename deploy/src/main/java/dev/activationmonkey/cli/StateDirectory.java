package dev.activationmonkey.cli;

import java.nio.file.Path;

/**
 * Where the embedded default keeps its state: {@code $MONKEY_STATE_DIR}, else {@code .monkey/} under the
 * project root the launcher runs from ({@code -Dmonkey.home}), else under the working directory.
 */
final class StateDirectory {
  private StateDirectory() {}

  static Path root() {
    String explicit = System.getenv("MONKEY_STATE_DIR");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit).toAbsolutePath();
    }
    return Path.of(System.getProperty("monkey.home", ".")).toAbsolutePath().normalize().resolve(".monkey");
  }

  static Path kafka() {
    return root().resolve("kafka");
  }

  static Path spark() {
    return root().resolve("spark");
  }

  static Path demo() {
    return root().resolve("demo");
  }
}
