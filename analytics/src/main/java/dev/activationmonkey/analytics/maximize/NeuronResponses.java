package dev.activationmonkey.analytics.maximize;

import dev.activationmonkey.errors.InvalidInputException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.util.ModelSerializer;

/**
 * What neurons respond to, as pictures: one neuron's maximized input beside the real examples that excite it most,
 * or a grid of a layer's neurons. {@code monkey maximize} and the dashboard draw through here.
 */
public final class NeuronResponses {
  private NeuronResponses() {}

  /** A layer's units maximised and drawn as a grid. */
  public record Grid(BufferedImage image, int units, int scale) {}

  /**
   * One unit's maximized input, and where examples were given, the best real examples beside it.
   *
   * @param bestExample the index of the example that excites the unit most; -1 without examples
   */
  public record Strip(BufferedImage image, ActivationMaximizer.Result result, BufferedImage maximized, int examplesShown,
      int examplesRead, int bestExample, double bestActivation) {}

  /**
   * Loads a ModelSerializer zip of a MultiLayerNetwork or a ComputationGraph (told apart by the configuration it
   * holds); a missing or unreadable file is an {@link InvalidInputException} naming it.
   */
  public static Model loadModel(Path model) {
    if (!Files.isRegularFile(model)) {
      throw new InvalidInputException("Model file " + model + " does not exist");
    }
    try {
      return isGraph(model) ? ModelSerializer.restoreComputationGraph(model.toFile(), false)
          : ModelSerializer.restoreMultiLayerNetwork(model.toFile(), false);
    } catch (IOException | RuntimeException e) {
      throw new InvalidInputException("Cannot load " + model + " as a DL4J MultiLayerNetwork or ComputationGraph (a "
          + "ModelSerializer zip): " + e.getMessage(), e);
    }
  }

  /** A ComputationGraph's configuration lists its vertices; a MultiLayerNetwork's lists layer configurations. */
  private static boolean isGraph(Path model) throws IOException {
    try (ZipFile zip = new ZipFile(model.toFile())) {
      ZipEntry conf = zip.getEntry("configuration.json");
      if (conf == null) {
        throw new IOException("no configuration.json in the zip");
      }
      JsonNode json = new ObjectMapper().readTree(zip.getInputStream(conf));
      return json.has("vertices") && json.has("networkInputs");
    }
  }

  /** @param scale input pixels to picture pixels; null for the default ({@link NeuronPictures#MIN_TILE_SIDE}) */
  public static Grid grid(ActivationMaximizer maximizer, int layer, int maxUnits, ActivationMaximizer.Settings settings,
      Integer scale) {
    int[] shape = maximizer.imageShape();
    int units = Math.min(maximizer.units(layer), maxUnits);
    int k = scale != null ? scale : NeuronPictures.scaleFor(shape, NeuronPictures.MIN_TILE_SIDE);
    List<BufferedImage> pictures = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (int unit = 0; unit < units; unit++) {
      ActivationMaximizer.Result r = maximizer.maximize(layer, unit, settings);
      pictures.add(NeuronPictures.picture(r.input(), shape, settings.inputMin(), settings.inputMax(), k));
      labels.add(String.format(Locale.ROOT, "#%d  %.3g", unit, r.activation()));
    }
    return new Grid(NeuronPictures.tiles(pictures, labels, (int) Math.ceil(Math.sqrt(units))), units, k);
  }

  /**
   * @param examples real inputs (pixels in [0, 1]) to rank by the unit's activation; null for none
   * @param top how many of the best examples to draw beside the maximized input
   * @param scale input pixels to picture pixels; null for the default ({@link NeuronPictures#MIN_SIDE})
   */
  public static Strip strip(ActivationMaximizer maximizer, int layer, int unit, ActivationMaximizer.Settings settings,
      IdxImages.Images examples, int top, Integer scale) {
    int[] shape = maximizer.imageShape();
    ActivationMaximizer.Result result = maximizer.maximize(layer, unit, settings);
    int k = scale != null ? scale : NeuronPictures.scaleFor(shape, NeuronPictures.MIN_SIDE);
    BufferedImage maximized = NeuronPictures.picture(result.input(), shape, settings.inputMin(), settings.inputMax(), k);
    if (examples == null) {
      return new Strip(maximized, result, maximized, 0, 0, -1, Double.NaN);
    }
    if (examples.rows() * examples.columns() != maximizer.inputSize()) {
      throw new InvalidInputException("Examples are " + examples.rows() + "x" + examples.columns()
          + ", the model takes " + maximizer.inputSize() + " inputs");
    }
    float[][] all = examples.pixels();
    double[] activation = new double[all.length];
    int batch = 500;
    for (int from = 0; from < all.length; from += batch) {
      double[] a = maximizer.activations(Arrays.copyOfRange(all, from, Math.min(all.length, from + batch)), layer, unit);
      System.arraycopy(a, 0, activation, from, a.length);
    }
    Integer[] order = new Integer[all.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(activation[b], activation[a]));
    int shown = Math.min(top, order.length);
    BufferedImage image = maximized;
    if (shown > 0) {
      List<BufferedImage> pictures = new ArrayList<>(List.of(maximized));
      List<String> labels = new ArrayList<>(List.of(String.format(Locale.ROOT, "maximized  %.3g", result.activation())));
      for (int i = 0; i < shown; i++) {
        float[] pixels = all[order[i]];
        double[] x = new double[pixels.length];
        for (int p = 0; p < x.length; p++) {
          x[p] = settings.inputMin() + pixels[p] * (settings.inputMax() - settings.inputMin());
        }
        pictures.add(NeuronPictures.picture(x, shape, settings.inputMin(), settings.inputMax(), k));
        labels.add(String.format(Locale.ROOT, "example #%d  %.3g", order[i], activation[order[i]]));
      }
      image = NeuronPictures.tiles(pictures, labels, pictures.size());
    }
    return new Strip(image, result, maximized, shown, all.length, order.length == 0 ? -1 : order[0],
        order.length == 0 ? Double.NaN : activation[order[0]]);
  }
}
