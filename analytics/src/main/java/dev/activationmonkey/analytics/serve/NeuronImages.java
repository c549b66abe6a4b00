package dev.activationmonkey.analytics.serve;

import dev.activationmonkey.analytics.maximize.ActivationMaximizer;
import dev.activationmonkey.analytics.maximize.IdxImages;
import dev.activationmonkey.analytics.maximize.NeuronResponses;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * The dashboard's "what a neuron responds to": activation maximization of a run's checkpoints (the trainer's
 * {@code checkpoint-dir}, files {@code <runId>-epoch-<n>.zip}), drawn by {@link NeuronResponses} as
 * {@code monkey maximize} draws them. A checkpoint is named by run and epoch, never by a path: the file is looked
 * up in the checkpoint folder and must resolve inside it. Pictures are kept (the last 32) since each takes seconds.
 */
final class NeuronImages {
  private static final int GRID_MAX = 32;
  private final Path checkpoints;
  private final Path examplesFile;
  private IdxImages.Images examples;
  private final Map<String, byte[]> cache = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
      return size() > 32;
    }
  };

  /** @param checkpoints the checkpoint folder, or null; @param examples an IDX file of real examples, or null */
  NeuronImages(Path checkpoints, Path examples) {
    this.checkpoints = checkpoints == null ? null : checkpoints.toAbsolutePath().normalize();
    this.examplesFile = examples;
  }

  /** The epochs with a checkpoint of the run, ascending; empty without a checkpoint folder. */
  List<Integer> epochs(String runId) {
    List<Integer> epochs = new ArrayList<>();
    if (checkpoints == null || !Files.isDirectory(checkpoints)) {
      return epochs;
    }
    String prefix = runId + "-epoch-";
    try (Stream<Path> files = Files.list(checkpoints)) {
      for (Path f : files.toList()) {
        String name = f.getFileName().toString();
        if (name.startsWith(prefix) && name.endsWith(".zip")) {
          try {
            epochs.add(Integer.parseInt(name.substring(prefix.length(), name.length() - 4)));
          } catch (NumberFormatException e) {
            // another run whose id starts with this one's
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + checkpoints, e);
    }
    epochs.sort(null);
    return epochs;
  }

  /** The checkpoint file of a run's epoch, checked to lie in the checkpoint folder. */
  Path checkpoint(String runId, int epoch) {
    if (checkpoints == null) {
      throw HttpError.notFound("No checkpoints: the dashboard was started without --checkpoints");
    }
    Path file = checkpoints.resolve(runId + "-epoch-" + epoch + ".zip").normalize();
    if (!file.getParent().equals(checkpoints) || !Files.isRegularFile(file)) {
      throw HttpError.notFound("No checkpoint of run '" + Params.abbreviate(runId) + "' at epoch " + epoch);
    }
    return file;
  }

  /** A PNG: one unit beside its best examples, or (unit null) a grid of the layer's first units. */
  synchronized byte[] png(String runId, int epoch, int layer, Integer unit, int steps) {
    Path file = checkpoint(runId, epoch);
    String key = file + "|" + layer + "|" + unit + "|" + steps;
    byte[] cached = cache.get(key);
    if (cached != null) {
      return cached;
    }
    ActivationMaximizer maximizer = new ActivationMaximizer(NeuronResponses.loadModel(file), null);
    maximizer.units(layer); // the layer exists (else a 400 naming the range)
    ActivationMaximizer.Settings defaults = ActivationMaximizer.Settings.defaults();
    ActivationMaximizer.Settings settings = new ActivationMaximizer.Settings(steps, defaults.learningRate(),
        defaults.l2(), maximizer.convolutional() ? 1 : 0, defaults.blurSigma(), defaults.blurEvery(),
        defaults.inputMin(), defaults.inputMax(), defaults.seed());
    BufferedImage image = unit == null ? NeuronResponses.grid(maximizer, layer, GRID_MAX, settings, null).image()
        : NeuronResponses.strip(maximizer, layer, unit, settings, examples(maximizer), 5, null).image();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    cache.put(key, out.toByteArray());
    return out.toByteArray();
  }

  private IdxImages.Images examples(ActivationMaximizer maximizer) {
    if (examplesFile == null) {
      return null;
    }
    if (examples == null) {
      examples = IdxImages.read(examplesFile, 2000);
    }
    return examples.rows() * examples.columns() == maximizer.inputSize() ? examples : null;
  }
}
