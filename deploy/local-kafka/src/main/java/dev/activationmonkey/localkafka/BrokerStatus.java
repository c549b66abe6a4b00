package dev.activationmonkey.localkafka;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.OptionalLong;

/** What {@code monkey kafka status} reports about the broker that owns a data directory. */
public record BrokerStatus(boolean running, OptionalLong pid, String bootstrapServers, Path dataDir) {
  public BrokerStatus {
    requireNonNull(pid, "pid is null");
    requireNonNull(bootstrapServers, "bootstrapServers is null");
    requireNonNull(dataDir, "dataDir is null");
  }

  @Override
  public String toString() {
    return running
        ? "running: pid " + pid.getAsLong() + ", bootstrap servers " + bootstrapServers + ", data " + dataDir
        : "not running (data " + dataDir + ")";
  }
}
