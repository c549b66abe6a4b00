package dev.activationmonkey.analytics.serve;

import dev.activationmonkey.analytics.maximize.NeuronPictures;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/** A raw activation sample ({@code sample_shape}, {@code sample_values}: the first k examples of a batch) as pictures. */
final class SamplePictures {
  private static final int MAX_CHANNELS = 16;
  private static final int TILE_SIDE = 56;

  private SamplePictures() {}

  static byte[] png(int[] shape, double[] values, long iteration) {
    if (shape.length < 2 || shape[0] < 1) {
      throw HttpError.notFound("The sample's shape " + java.util.Arrays.toString(shape) + " holds no examples");
    }
    int examples = shape[0];
    int perExample = values.length / examples;
    int channels;
    int h;
    int w;
    if (shape.length == 4) { // [examples, channels, height, width]
      channels = shape[1];
      h = shape[2];
      w = shape[3];
    } else {
      channels = 1;
      int side = (int) Math.round(Math.sqrt(perExample));
      h = side * side == perExample ? side : 1;
      w = side * side == perExample ? side : perExample;
    }
    int shown = Math.min(channels, MAX_CHANNELS);
    List<BufferedImage> pictures = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (int e = 0; e < examples; e++) {
      for (int c = 0; c < shown; c++) {
        double[] x = new double[h * w];
        System.arraycopy(values, e * perExample + c * h * w, x, 0, h * w);
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double v : x) {
          if (Double.isFinite(v)) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
          }
        }
        if (!(hi > lo)) {
          lo = Double.isFinite(lo) ? lo - 0.5 : 0;
          hi = lo + 1;
        }
        int scale = Math.max(1, Math.min(8, (TILE_SIDE + Math.max(h, w) - 1) / Math.max(h, w)));
        pictures.add(NeuronPictures.picture(x, new int[] {1, h, w}, lo, hi, scale));
        labels.add(shown > 1 ? "ex " + e + " ch " + c : "example " + e + " @" + iteration);
      }
    }
    BufferedImage image = NeuronPictures.tiles(pictures, labels, shown > 1 ? shown : Math.min(8, examples));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
