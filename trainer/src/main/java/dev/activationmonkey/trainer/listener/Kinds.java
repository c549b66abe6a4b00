package dev.activationmonkey.trainer.listener;

import dev.activationmonkey.snapshot.avro.Kind;
import java.util.EnumSet;
import java.util.Set;

/** Helpers for the set of snapshot kinds a run logs. */
final class Kinds {
  private Kinds() {}

  static EnumSet<Kind> copy(Set<Kind> kinds) {
    return kinds.isEmpty() ? EnumSet.noneOf(Kind.class) : EnumSet.copyOf(kinds);
  }
}
