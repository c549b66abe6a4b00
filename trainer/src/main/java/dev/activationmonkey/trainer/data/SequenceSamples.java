package dev.activationmonkey.trainer.data;

import dev.activationmonkey.errors.InvalidInputException;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * A small generated sequence set in the {@code csv-sequences} layout, for trying recurrent networks without
 * downloading anything: a task that needs memory. Each sequence has a class c of {@value #CLASSES} and a length of
 * {@value #MIN_LENGTH} to {@value #MAX_LENGTH} steps of {@value #FEATURES} features; only its first step tells the
 * class (feature c is 1 there, the others 0, plus noise), every later step is noise. Every line carries the class as
 * its last column, so the set trains with {@code data.sequence-labels: per-step} (from the second step on, the network
 * must remember the first) and {@code last-step} (the class at the end of the sequence). Chance accuracy is 1/3.
 */
public final class SequenceSamples {
  public static final int CLASSES = 3;
  public static final int FEATURES = 3;
  public static final int MIN_LENGTH = 4;
  public static final int MAX_LENGTH = 12;

  private SequenceSamples() {}

  /** What was written: the files and the sum of their lengths (time steps). */
  public record Written(int sequences, long steps) {}

  /**
   * Writes {@code count} sequences to {@code dir} as {@code seq-00000.csv}, ... (the directory is created; it must not
   * hold sequence files yet).
   */
  public static Written write(Path dir, int count, long seed) {
    if (count < 1) {
      throw new InvalidInputException("--count: at least 1 sequence, got " + count);
    }
    Random random = new Random(seed);
    long steps = 0;
    try {
      Files.createDirectories(dir);
      try (var existing = Files.list(dir)) {
        if (existing.anyMatch(p -> p.getFileName().toString().startsWith("seq-"))) {
          throw new InvalidInputException("--out: " + dir + " already holds sequence files (seq-*.csv); choose an"
              + " empty directory");
        }
      }
      for (int s = 0; s < count; s++) {
        int label = random.nextInt(CLASSES);
        int length = MIN_LENGTH + random.nextInt(MAX_LENGTH - MIN_LENGTH + 1);
        steps += length;
        try (Writer out = Files.newBufferedWriter(dir.resolve(String.format(Locale.ROOT, "seq-%05d.csv", s)),
            StandardCharsets.UTF_8)) {
          for (int t = 0; t < length; t++) {
            StringBuilder line = new StringBuilder();
            for (int f = 0; f < FEATURES; f++) {
              double cue = t == 0 && f == label ? 1.0 : 0.0;
              double noise = random.nextGaussian() * (t == 0 ? 0.1 : 0.5);
              line.append(String.format(Locale.ROOT, "%.4f", cue + noise)).append(',');
            }
            out.write(line.append(label).append('\n').toString());
          }
        }
      }
    } catch (IOException e) {
      throw new InvalidInputException("--out: cannot write sequences to " + dir + ": " + e.getMessage(), e);
    }
    return new Written(count, steps);
  }
}
