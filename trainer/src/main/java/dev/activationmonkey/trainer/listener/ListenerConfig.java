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
 */
public record ListenerConfig(String runId, Set<Kind> kinds, int every, StatsOptions stats, Set<Kind> histogramKinds,
    KafkaSettings kafka, int failPartition, int failAfterIterations) implements Serializable {

  public ListenerConfig {
    requireNonNull(runId, "runId is null");
    kinds = Kinds.copy(requireNonNull(kinds, "kinds is null"));
    histogramKinds = Kinds.copy(requireNonNull(histogramKinds, "histogramKinds is null"));
    requireNonNull(stats, "stats is null");
    requireNonNull(kafka, "kafka is null");
    if (every < 1) {
      throw new IllegalArgumentException("every must be >= 1, was " + every);
    }
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

  public ListenerConfig withKinds(Set<Kind> newKinds) {
    return new ListenerConfig(runId, newKinds, every, stats, histogramKinds, kafka, failPartition, failAfterIterations);
  }

  public static Set<Kind> allKinds() {
    return EnumSet.allOf(Kind.class);
  }
}
