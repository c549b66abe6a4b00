package dev.activationmonkey.trainer.listener;

import static java.util.Objects.requireNonNull;

import dev.activationmonkey.snapshot.avro.Kind;
import dev.activationmonkey.trainer.publish.KafkaSettings;
import dev.activationmonkey.trainer.stats.StatsOptions;
import java.io.Serializable;
import java.util.EnumSet;
import java.util.Set;

/**
 * What the snapshot listener records and where it sends it. Serializable: it travels to every executor.
 *
 * @param runId the run every snapshot belongs to
 * @param kinds which arrays to summarise; empty = logging off (the listener then only reports progress)
 * @param every log iterations whose number is a multiple of this
 * @param stats histogram, per-neuron vectors, sample, near-zero threshold
 * @param histogramKinds the kinds that get a histogram (when {@code stats} asks for bins at all)
 * @param kafka delivery settings
 * @param failPartition testing hook: the first attempt of this Spark partition throws after
 *     {@code failAfterIterations} iterations (once per JVM); -1 = never
 * @param copyBufferBytes native memory per executor JVM for copies of arrays whose statistics the publishing thread
 *     computes off the training thread; 0 = compute them on the training thread
 */
public record ListenerConfig(String runId, Set<Kind> kinds, int every, StatsOptions stats, Set<Kind> histogramKinds,
    KafkaSettings kafka, int failPartition, int failAfterIterations, long copyBufferBytes) implements Serializable {

  /** 64 MiB: about 20 steps of every array of the demo network at every iteration. */
  public static final long DEFAULT_COPY_BUFFER_BYTES = 64L << 20;

  /**
   * {@link #copyBufferBytes} "auto": {@link #DEFAULT_COPY_BUFFER_BYTES} where the JVM's training threads leave a core
   * idle for the publishing thread, 0 (statistics on the training thread, no copies) where they keep every core busy
   * ({@link SpareCores}).
   */
  public static final long AUTO_COPY_BUFFER = -1;

  public ListenerConfig {
    requireNonNull(runId, "runId is null");
    kinds = Kinds.copy(requireNonNull(kinds, "kinds is null"));
    histogramKinds = Kinds.copy(requireNonNull(histogramKinds, "histogramKinds is null"));
    requireNonNull(stats, "stats is null");
    requireNonNull(kafka, "kafka is null");
    if (every < 1) {
      throw new IllegalArgumentException("every must be >= 1, was " + every);
    }
    if (copyBufferBytes < 0 && copyBufferBytes != AUTO_COPY_BUFFER) {
      throw new IllegalArgumentException("copyBufferBytes must be >= 0 or AUTO_COPY_BUFFER, was " + copyBufferBytes);
    }
  }

  /** Statistics off the training thread where a core is idle for them ({@link #AUTO_COPY_BUFFER}). */
  public ListenerConfig(String runId, Set<Kind> kinds, int every, StatsOptions stats, Set<Kind> histogramKinds,
      KafkaSettings kafka, int failPartition, int failAfterIterations) {
    this(runId, kinds, every, stats, histogramKinds, kafka, failPartition, failAfterIterations, AUTO_COPY_BUFFER);
  }

  /** The copy buffer this JVM uses: {@link #copyBufferBytes}, with "auto" resolved by {@link SpareCores}. */
  public long effectiveCopyBufferBytes() {
    return copyBufferBytes != AUTO_COPY_BUFFER ? copyBufferBytes
        : SpareCores.inThisJvm() ? DEFAULT_COPY_BUFFER_BYTES : 0;
  }

  /** Histograms for every kind. */
  public ListenerConfig(String runId, Set<Kind> kinds, int every, StatsOptions stats, KafkaSettings kafka,
      int failPartition, int failAfterIterations) {
    this(runId, kinds, every, stats, allKinds(), kafka, failPartition, failAfterIterations);
  }

  /** The statistics options for a kind: the histogram only where configured. */
  public StatsOptions stats(Kind kind) {
    return histogramKinds.contains(kind) ? stats
        : new StatsOptions(0, stats.neurons(), stats.sampleExamples(), stats.sampleMaxValues(), stats.nearZeroThreshold());
  }

  public boolean logs(Kind kind) {
    return kinds.contains(kind);
  }

  public boolean enabled() {
    return !kinds.isEmpty();
  }

  public ListenerConfig withCopyBufferBytes(long bytes) {
    return new ListenerConfig(runId, kinds, every, stats, histogramKinds, kafka, failPartition, failAfterIterations,
        bytes);
  }

  public static Set<Kind> allKinds() {
    return EnumSet.allOf(Kind.class);
  }
}
