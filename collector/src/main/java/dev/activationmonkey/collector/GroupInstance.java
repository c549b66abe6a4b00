package dev.activationmonkey.collector;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A collector's static group membership ({@code group.instance.id}): a collector restarted with its predecessor's id
 * takes the predecessor's partitions back at once, without a rebalance, instead of waiting out the dead member's
 * session timeout.
 *
 * <p>{@code auto} derives the id as {@code collector-<host>-<n>}, {@code n} the lowest number that no running
 * collector of the same group on this machine holds: each holds an OS file lock on
 * {@code <java.io.tmpdir>/monkey-collector-<user>/<group>-<n>.lock} while it runs. A process killed with
 * {@code kill -9} loses its locks with it, so the collector started in its place gets the same id; two collectors of
 * a group running side by side on one machine get different ones. {@code none} is dynamic membership; any other
 * value is the id itself (collectors on several machines with the same host name, or in containers, set it).
 */
final class GroupInstance implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupInstance.class);
  static final String AUTO = "auto";
  static final String NONE = "none";
  private static final int MAX_SLOTS = 1000;

  private final String id;
  private final FileChannel channel;
  private final FileLock lock;

  private GroupInstance(String id, FileChannel channel, FileLock lock) {
    this.id = id;
    this.channel = channel;
    this.lock = lock;
  }

  /** The configured membership: claims an {@code auto} id's slot until {@link #close()}. */
  static GroupInstance claim(CollectorConfig config) {
    String setting = config.groupInstanceId();
    if (setting.equals(NONE)) {
      return new GroupInstance(null, null, null);
    }
    if (!setting.equals(AUTO)) {
      return new GroupInstance(setting, null, null);
    }
    return claimSlot(slotDirectory(), config.groupId(), hostName());
  }

  static GroupInstance claimSlot(Path directory, String group, String host) {
    try {
      Files.createDirectories(directory);
      String prefix = safe(group);
      for (int n = 0; n < MAX_SLOTS; n++) {
        FileChannel channel = FileChannel.open(directory.resolve(prefix + "-" + n + ".lock"),
            StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
          lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
          lock = null; // held by another collector in this JVM
        }
        if (lock != null) {
          return new GroupInstance("collector-" + safe(host) + "-" + n, channel, lock);
        }
        channel.close();
      }
      log.warn("{} collectors of group {} hold instance slots in {}: this one joins with dynamic membership", MAX_SLOTS, group, directory);
    } catch (IOException e) {
      log.warn("cannot claim a group instance slot in {} ({}): joining with dynamic membership (restarts wait for the "
          + "session timeout); set {} to fix", directory, e.toString(), CollectorConfig.GROUP_INSTANCE_ID);
    }
    return new GroupInstance(null, null, null);
  }

  /** The id to join with; empty: dynamic membership. */
  Optional<String> id() {
    return Optional.ofNullable(id);
  }

  @Override
  public void close() {
    try {
      if (lock != null) {
        lock.release();
      }
      if (channel != null) {
        channel.close();
      }
    } catch (IOException e) {
      log.debug("releasing the instance slot: {}", e.toString());
    }
  }

  private static Path slotDirectory() {
    return Path.of(System.getProperty("java.io.tmpdir"), "monkey-collector-" + safe(System.getProperty("user.name", "user")));
  }

  static String hostName() {
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        host = "localhost";
      }
    }
    return host;
  }

  private static String safe(String name) {
    return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "_");
  }
}
