package dev.activationmonkey.analytics.maximize;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * What a neuron responds to, as pictures a person can see: an input (maximized or a real example) scaled up by
 * whole pixels (nearest neighbour, so no detail is invented), a strip of the maximized input beside the real examples
 * that excite the neuron most, and a grid of a layer's neurons. Greyscale, the input range mapped to black..white;
 * a multi-channel input stacks its channels vertically.
 */
public final class NeuronPictures {
  /** The side, in pixels, the default scale reaches at least for one picture (a 28x28 digit becomes 280x280). */
  public static final int MIN_SIDE = 280;
  /** The same for a grid's tiles (a 28x28 digit becomes 112x112). */
  public static final int MIN_TILE_SIDE = 112;
  private static final int GAP = 8;
  private static final int LABEL = 16;

  private NeuronPictures() {}

  /** The smallest whole scale that makes the larger side of a {@code shape} (C,H,W) picture at least {@code side}. */
  public static int scaleFor(int[] shape, int side) {
    int larger = Math.max(shape[1] * shape[0], shape[2]);
    return Math.max(1, (side + larger - 1) / larger);
  }

  /** One input as a greyscale picture, each input pixel drawn as a scale × scale square. */
  public static BufferedImage picture(double[] x, int[] shape, double min, double max, int scale) {
    int c = shape[0];
    int h = shape[1];
    int w = shape[2];
    BufferedImage image = new BufferedImage(w * scale, h * c * scale, BufferedImage.TYPE_BYTE_GRAY);
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < h; y++) {
        for (int xx = 0; xx < w; xx++) {
          double v = (x[(ch * h + y) * w + xx] - min) / (max - min);
          int g = (int) Math.round(Math.max(0, Math.min(1, v)) * 255);
          for (int dy = 0; dy < scale; dy++) {
            for (int dx = 0; dx < scale; dx++) {
              image.getRaster().setSample(xx * scale + dx, (ch * h + y) * scale + dy, 0, g);
            }
          }
        }
      }
    }
    return image;
  }

  /** Labelled tiles in rows of {@code columns}, on white, e.g. a layer's neurons or a neuron beside its best examples. */
  public static BufferedImage tiles(List<BufferedImage> pictures, List<String> labels, int columns) {
    int tw = pictures.stream().mapToInt(BufferedImage::getWidth).max().orElse(1);
    int th = pictures.stream().mapToInt(BufferedImage::getHeight).max().orElse(1);
    int cols = Math.max(1, Math.min(columns, pictures.size()));
    int rows = (pictures.size() + cols - 1) / cols;
    BufferedImage out = new BufferedImage(cols * (tw + GAP) + GAP, rows * (th + GAP + LABEL) + GAP,
        BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, out.getWidth(), out.getHeight());
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      g.setColor(Color.DARK_GRAY);
      for (int i = 0; i < pictures.size(); i++) {
        int x = GAP + (i % cols) * (tw + GAP);
        int y = GAP + (i / cols) * (th + GAP + LABEL);
        g.drawString(labels.get(i), x, y + 11);
        g.drawImage(pictures.get(i), x, y + LABEL, null);
      }
    } finally {
      g.dispose();
    }
    return out;
  }
}
