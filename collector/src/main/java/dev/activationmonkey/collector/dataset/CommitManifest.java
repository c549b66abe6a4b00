package dev.activationmonkey.collector.dataset;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What one commit of a topic-partition's batch made visible: the Kafka offset range it covers
 * (including records that went to the dead-letter topic) and the moves of its files from their temp
 * names to their final names, relative to the dataset root. Written before the first move, so that
 * recovery can finish an interrupted commit (roll forward) instead of guessing.
 */
public record CommitManifest(long firstOffset, long lastOffset, long rows, List<Move> moves) {
  private static final String HEADER = "activation-monkey collector commit v1";

  /** One file's move; both paths relative to the dataset root. */
  public record Move(String temp, String target) {
    public Move {
      requireNonNull(temp, "temp is null");
      requireNonNull(target, "target is null");
      if (temp.contains("\t") || temp.contains("\n") || target.contains("\t") || target.contains("\n")) {
        throw new IllegalArgumentException("paths must not contain tabs or newlines: " + temp + " -> " + target);
      }
    }
  }

  public CommitManifest {
    moves = List.copyOf(moves);
    if (firstOffset < 0 || lastOffset < firstOffset) {
      throw new IllegalArgumentException("bad offset range " + firstOffset + ".." + lastOffset);
    }
  }

  public byte[] serialize() {
    StringBuilder text = new StringBuilder(HEADER).append('\n');
    text.append("first=").append(firstOffset).append('\n');
    text.append("last=").append(lastOffset).append('\n');
    text.append("rows=").append(rows).append('\n');
    for (Move move : moves) {
      text.append("move=").append(move.temp()).append('\t').append(move.target()).append('\n');
    }
    text.append("end\n");
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Parses a manifest; fails on anything incomplete (the trailing {@code end} line guards truncation). */
  public static CommitManifest parse(byte[] bytes) {
    String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n");
    if (lines.length < 5 || !lines[0].equals(HEADER) || !lines[lines.length - 1].equals("end")) {
      throw new IllegalArgumentException("not a complete collector commit manifest");
    }
    long first = Long.parseLong(value(lines[1], "first"));
    long last = Long.parseLong(value(lines[2], "last"));
    long rows = Long.parseLong(value(lines[3], "rows"));
    List<Move> moves = new ArrayList<>();
    for (int i = 4; i < lines.length - 1; i++) {
      String[] paths = value(lines[i], "move").split("\t");
      if (paths.length != 2) {
        throw new IllegalArgumentException("bad move line: " + lines[i]);
      }
      moves.add(new Move(paths[0], paths[1]));
    }
    return new CommitManifest(first, last, rows, moves);
  }

  private static String value(String line, String key) {
    if (!line.startsWith(key + "=")) {
      throw new IllegalArgumentException("expected " + key + "=..., got: " + line);
    }
    return line.substring(key.length() + 1);
  }
}
