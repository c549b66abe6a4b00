package dev.activationmonkey.trainer.distributed;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import dev.activationmonkey.trainer.network.TrainableNetwork;

/**
 * Networks kept in an executor JVM between the tasks of one run, so a round's task does not rebuild (allocate,
 * initialise) its network. A borrowed network carries no state across tasks: each task sets the parameters, the
 * updater state, the iteration and epoch counts and the listeners from what the driver sent, so any network of the
 * run will do, and a task on a fresh executor (after a failure) simply builds one. When a run's first network is
 * built, the networks of other runs in this JVM are dropped.
 */
final class NetworkPool {
  private static final Map<String, ConcurrentLinkedDeque<TrainableNetwork>> POOLS = new ConcurrentHashMap<>();

  private NetworkPool() {}

  /** A network of the run built from {@code configurationJson} (a ComputationGraph's when {@code graph}). */
  static TrainableNetwork borrow(String runId, boolean graph, String configurationJson, int[] imageInput) {
    String key = key(runId, graph, configurationJson, imageInput);
    ConcurrentLinkedDeque<TrainableNetwork> pool = POOLS.get(key);
    if (pool == null) {
      POOLS.keySet().removeIf(other -> !other.startsWith(runId + "\n"));
      pool = POOLS.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>());
    }
    TrainableNetwork net = pool.pollFirst();
    if (net == null) {
      net = TrainableNetwork.fromJson(graph, configurationJson, imageInput);
    }
    return net;
  }

  static void giveBack(String runId, boolean graph, String configurationJson, int[] imageInput, TrainableNetwork net) {
    ConcurrentLinkedDeque<TrainableNetwork> pool = POOLS.get(key(runId, graph, configurationJson, imageInput));
    if (pool != null) {
      pool.addFirst(net);
    }
  }

  /** Drops the run's networks in this JVM (the driver's, in local mode). */
  static void forget(String runId) {
    POOLS.keySet().removeIf(key -> key.startsWith(runId + "\n"));
  }

  private static String key(String runId, boolean graph, String configurationJson, int[] imageInput) {
    return runId + "\n" + (graph ? "graph " : "layers ") + Arrays.toString(imageInput) + "\n" + configurationJson;
  }
}
