package dev.activationmonkey.collector.dataset;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * A committed data file's name: {@code <topic>+<partition>+<firstOffset>+<lastOffset>.parquet}. The
 * offsets are the Kafka offset range of the commit (batch) the file belongs to: it holds that
 * range's records for its directory's table, run and kind. Ranges of one topic-partition never
 * overlap, so names are unique within a directory.
 */
public record DataFileName(String topic, int partition, long firstOffset, long lastOffset) {
  public static final String SUFFIX = ".parquet";

  public DataFileName {
    requireNonNull(topic, "topic is null");
    if (firstOffset < 0 || lastOffset < firstOffset) {
      throw new IllegalArgumentException("bad offset range " + firstOffset + ".." + lastOffset);
    }
  }

  public String format() {
    return topic + "+" + partition + "+" + firstOffset + "+" + lastOffset + SUFFIX;
  }

  /** Parses a file name; empty for names that are not data file names. Topics cannot contain '+'. */
  public static Optional<DataFileName> parse(String name) {
    if (!name.endsWith(SUFFIX)) {
      return Optional.empty();
    }
    String[] parts = name.substring(0, name.length() - SUFFIX.length()).split("\\+");
    if (parts.length != 4 || parts[0].isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(new DataFileName(parts[0], Integer.parseInt(parts[1]), Long.parseLong(parts[2]), Long.parseLong(parts[3])));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
