package dev.activationmonkey.trainer.distributed;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Networks kept in an executor JVM between the tasks of one run, so a round's task does not rebuild (allocate,
 * initialise) its network. A borrowed network carries no state across tasks: each task sets the parameters, the
 * updater state, the iteration and epoch counts and the listeners from what the driver sent, so any network of the
 * run will do, and a task on a fresh executor (after a failure) simply builds one. When a run's first network is
 * built, the networks of other runs in this JVM are dropped.
 */
final class NetworkPool {
  private static final Map<String, ConcurrentLinkedDeque<MultiLayerNetwork>> POOLS = new ConcurrentHashMap<>();

  private NetworkPool() {}

  static MultiLayerNetwork borrow(String runId, String configurationJson) {
    String key = key(runId, configurationJson);
    ConcurrentLinkedDeque<MultiLayerNetwork> pool = POOLS.get(key);
    if (pool == null) {
      POOLS.keySet().removeIf(other -> !other.startsWith(runId + "\n"));
      pool = POOLS.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>());
    }
    MultiLayerNetwork net = pool.pollFirst();
    if (net == null) {
      net = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(configurationJson));
      net.init();
    }
    return net;
  }

  static void giveBack(String runId, String configurationJson, MultiLayerNetwork net) {
    ConcurrentLinkedDeque<MultiLayerNetwork> pool = POOLS.get(key(runId, configurationJson));
    if (pool != null) {
      pool.addFirst(net);
    }
  }

  /** Drops the run's networks in this JVM (the driver's, in local mode). */
  static void forget(String runId) {
    POOLS.keySet().removeIf(key -> key.startsWith(runId + "\n"));
  }

  private static String key(String runId, String configurationJson) {
    return runId + "\n" + configurationJson;
  }
}
