package dev.activationmonkey.collector.parquet;

import org.apache.parquet.column.ColumnWriter;
import org.apache.parquet.io.api.Binary;

/**
 * The leaf column writers of one open file, in schema order, with a one-entry cache per string
 * column: most string values repeat the previous row's (topic, host, executor, thread, layer of an
 * interleaved few), and encoding a {@code String} to UTF-8 bytes for every row was a tenth of the
 * writer's time. Belongs to one file, so one thread.
 */
final class Leaves {
  final ColumnWriter[] writers;
  private final String[] lastString;
  private final Binary[] lastBinary;

  Leaves(ColumnWriter[] writers) {
    this.writers = writers;
    this.lastString = new String[writers.length];
    this.lastBinary = new Binary[writers.length];
  }

  /** {@code value} as UTF-8 bytes, reusing the previous value's bytes when they are equal. */
  Binary utf8(int leaf, String value) {
    String last = lastString[leaf];
    if (last != null && (last == value || last.equals(value))) {
      return lastBinary[leaf];
    }
    // A constant (not reused) byte array: the dictionary may keep a reference to it.
    Binary binary = Binary.fromConstantByteArray(value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    lastString[leaf] = value;
    lastBinary[leaf] = binary;
    return binary;
  }
}
