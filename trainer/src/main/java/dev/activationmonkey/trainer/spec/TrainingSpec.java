package dev.activationmonkey.trainer.spec;

import java.util.List;

/**
 * How the network is trained on Spark.
 *
 * @param epochs passes over the training set
 * @param workers Spark partitions trained in parallel
 * @param master Spark master URL, or null for {@code local[workers]} (ignored when a SparkContext exists)
 * @param seed seed of weight initialisation and of the training master
 * @param trainingMaster {@code parameter-averaging} or {@code shared-gradients}
 * @param averagingFrequency parameter averaging: mini-batches per worker between averaging steps (0 = once per epoch)
 * @param threshold shared gradients: initial encoding threshold
 * @param controllerAddress shared gradients: the driver's address workers connect to
 * @param networkMask shared gradients: the network mask to pick worker addresses from
 * @param port shared gradients: the UDP port of the parameter server transport
 * @param checkpointDirectory save the model there after every epoch (null = no checkpoints)
 * @param evaluate evaluate on the test set after every epoch
 * @param stopOnNonFinite end the run (status DIVERGED) after the averaging round in which a training loss turned NaN
 *     or infinite
 * @param injectFailurePartition testing only: fail the first attempt of this partition once (-1 = never)
 * @param injectFailureAfter testing only: after this many iterations of that attempt
 */
public record TrainingSpec(int epochs, int workers, String master, long seed, String trainingMaster,
    int averagingFrequency, double threshold, String controllerAddress, String networkMask, int port,
    String checkpointDirectory, boolean evaluate, boolean stopOnNonFinite, int injectFailurePartition, int injectFailureAfter) {

  /** Mini-batches per worker between averaging steps unless the spec says otherwise (docs/trainer.md, "Scaling"). */
  public static final int DEFAULT_AVERAGING_FREQUENCY = 0;

  public static final List<String> MASTERS = List.of("parameter-averaging", "shared-gradients");

  static TrainingSpec read(SpecNode n) {
    int epochs = n.integer("epochs", 1, 1, 1_000_000);
    int workers = n.integer("workers", 2, 1, 100_000);
    String master = n.string("master", null);
    long seed = n.integer("seed", 12345L, Long.MIN_VALUE, Long.MAX_VALUE);
    String trainingMaster = n.choice("training-master", "parameter-averaging", MASTERS);
    SpecNode pa = n.object("parameter-averaging");
    int averagingFrequency = pa.integer("averaging-frequency", DEFAULT_AVERAGING_FREQUENCY, 0, 1_000_000);
    if (pa.has("prefetch")) {
      throw pa.invalidKey("prefetch", "no longer used: the examples stay in the executors' memory, so there is nothing"
          + " to prefetch; remove the key");
    }
    pa.done();
    SpecNode sg = n.object("shared-gradients");
    double threshold = sg.number("threshold", 1e-3, 1e-9, 1);
    String controller = sg.string("controller-address", "127.0.0.1");
    String mask = sg.string("network-mask", "127.0.0.0/8");
    int port = sg.integer("port", 40123, 1, 65535);
    sg.done();
    if (!trainingMaster.equals("parameter-averaging") && n.has("parameter-averaging")) {
      throw n.invalidKey("parameter-averaging", "only applies to training-master: parameter-averaging");
    }
    if (!trainingMaster.equals("shared-gradients") && n.has("shared-gradients")) {
      throw n.invalidKey("shared-gradients", "only applies to training-master: shared-gradients");
    }
    String checkpoints = n.string("checkpoint-dir", null);
    boolean evaluate = n.bool("evaluate", true);
    boolean stopOnNonFinite = n.bool("stop-on-non-finite", true);
    SpecNode inject = n.object("inject-failure");
    int injectPartition = n.has("inject-failure") ? inject.integer("partition", 0, 0, Integer.MAX_VALUE) : -1;
    int injectAfter = inject.integer("after-iterations", 1, 1, Integer.MAX_VALUE);
    inject.done();
    n.done();
    return new TrainingSpec(epochs, workers, master, seed, trainingMaster, averagingFrequency, threshold,
        controller, mask, port, checkpoints, evaluate, stopOnNonFinite, injectPartition, injectAfter);
  }

  /** The Spark master to use when none is running: the spec's, or {@code local[workers]}. */
  public String effectiveMaster() {
    return master != null ? master : "local[" + workers + "]";
  }
}
