package dev.activationmonkey.collector.dataset;

import org.apache.parquet.io.OutputFile;

/** What both storages' Parquet output files share: no block size, a path for messages. */
abstract class NamedOutputFile implements OutputFile {
  private final String name;

  NamedOutputFile(String name) {
    this.name = name;
  }

  @Override
  public boolean supportsBlockSize() {
    return false;
  }

  @Override
  public long defaultBlockSize() {
    return 0;
  }

  @Override
  public String getPath() {
    return name;
  }
}
