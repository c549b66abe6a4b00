package dev.activationmonkey.analytics.chart;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Draws a {@link HeatmapData} as a PNG with a title, axis labels, ticks and a colour bar (Java2D, headless). */
public final class HeatmapRenderer {
  private static final int LEFT = 110;
  private static final int RIGHT = 110;
  private static final int TOP = 50;
  private static final int BOTTOM = 60;

  private HeatmapRenderer() {}

  public static BufferedImage render(HeatmapData data, int plotWidth) {
    System.setProperty("java.awt.headless", "true");
    int rows = data.values().length;
    int cols = data.columnValues().length;
    int cell = Math.max(2, Math.min(24, 480 / Math.max(1, rows)));
    int plotHeight = Math.max(120, cell * rows);
    int width = LEFT + plotWidth + RIGHT;
    int height = TOP + plotHeight + BOTTOM;
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, width, height);
      double[] range = data.range();
      for (int r = 0; r < rows; r++) {
        int y0 = TOP + (int) Math.round((double) r * plotHeight / rows);
        int y1 = TOP + (int) Math.round((double) (r + 1) * plotHeight / rows);
        for (int c = 0; c < cols; c++) {
          int x0 = LEFT + (int) Math.round((double) c * plotWidth / cols);
          int x1 = LEFT + (int) Math.round((double) (c + 1) * plotWidth / cols);
          double t = (data.transform(data.values()[r][c]) - range[0]) / (range[1] - range[0]);
          g.setColor(ColorScale.color(t));
          g.fillRect(x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0));
        }
      }
      g.setColor(Color.DARK_GRAY);
      g.setStroke(new BasicStroke(1f));
      g.drawRect(LEFT, TOP, plotWidth, plotHeight);

      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
      g.setColor(Color.BLACK);
      drawCentered(g, data.title(), LEFT + plotWidth / 2, 28);

      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      FontMetrics fm = g.getFontMetrics();
      int rowStep = Math.max(1, (int) Math.ceil(rows / (plotHeight / 14.0)));
      for (int r = 0; r < rows; r += rowStep) {
        int y = TOP + (int) Math.round((r + 0.5) * plotHeight / rows) + fm.getAscent() / 2 - 1;
        String label = data.rowLabels()[r];
        g.drawString(label, LEFT - 6 - fm.stringWidth(label), y);
      }
      int ticks = Math.min(cols, 8);
      for (int i = 0; i < ticks; i++) {
        int c = ticks == 1 ? 0 : (int) Math.round((double) i * (cols - 1) / (ticks - 1));
        int x = LEFT + (int) Math.round((c + 0.5) * plotWidth / cols);
        g.drawLine(x, TOP + plotHeight, x, TOP + plotHeight + 4);
        drawCentered(g, Long.toString(data.columnValues()[c]), x, TOP + plotHeight + 17);
      }
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      drawCentered(g, data.columnAxis(), LEFT + plotWidth / 2, TOP + plotHeight + 40);
      AffineTransform saved = g.getTransform();
      g.rotate(-Math.PI / 2);
      drawCentered(g, data.rowAxis(), -(TOP + plotHeight / 2), 18);
      g.setTransform(saved);

      int barX = LEFT + plotWidth + 25;
      int barW = 16;
      for (int y = 0; y < plotHeight; y++) {
        g.setColor(ColorScale.color(1 - (double) y / (plotHeight - 1)));
        g.fillRect(barX, TOP + y, barW, 1);
      }
      g.setColor(Color.DARK_GRAY);
      g.drawRect(barX, TOP, barW, plotHeight);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      for (int i = 0; i <= 4; i++) {
        double v = range[1] - i * (range[1] - range[0]) / 4;
        int y = TOP + (int) Math.round(i * (plotHeight - 1) / 4.0);
        g.drawLine(barX + barW, y, barX + barW + 4, y);
        g.drawString(tick(v, data.logScale()), barX + barW + 6, y + 4);
      }
      g.rotate(Math.PI / 2);
      String unit = data.valueLabel() + (data.logScale() ? " (log scale)" : "");
      drawCentered(g, unit, TOP + plotHeight / 2, -(barX + barW + 56));
      g.setTransform(saved);
    } finally {
      g.dispose();
    }
    return image;
  }

  private static String tick(double v, boolean log) {
    if (log) {
      v = Math.pow(10, v); // label log-scale ticks with the value itself
    }
    return Math.abs(v) >= 1e4 || (v != 0 && Math.abs(v) < 1e-2)
        ? String.format(Locale.ROOT, "%.1e", v) : String.format(Locale.ROOT, "%.3g", v);
  }

  private static void drawCentered(Graphics2D g, String s, int x, int y) {
    g.drawString(s, x - g.getFontMetrics().stringWidth(s) / 2, y);
  }

  public static void writePng(HeatmapData data, Path file) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      ImageIO.write(render(data, 720), "png", file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + file, e);
    }
  }

  public static byte[] png(HeatmapData data, int plotWidth) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(render(data, plotWidth), "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
