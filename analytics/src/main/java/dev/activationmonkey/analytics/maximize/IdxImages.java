package dev.activationmonkey.analytics.maximize;

import dev.activationmonkey.errors.InvalidInputException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Reads IDX image files (MNIST's format, magic 2051), gzip-compressed or not, as rows of pixels / 255. */
public final class IdxImages {
  private IdxImages() {}

  /** Pixels scaled to [0, 1] (the trainer's {@code scale} normalisation); one row per image. */
  public record Images(int rows, int columns, float[][] pixels) {}

  public static Images read(Path file, int limit) {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException("Examples file " + file + " does not exist");
    }
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
      raw.mark(2);
      int b1 = raw.read();
      int b2 = raw.read();
      raw.reset();
      InputStream in = b1 == 0x1f && b2 == 0x8b ? new GZIPInputStream(raw) : raw;
      DataInputStream data = new DataInputStream(new BufferedInputStream(in));
      int magic = data.readInt();
      if (magic != 2051) {
        throw new InvalidInputException("Examples file " + file + " is not an IDX image file (magic " + magic
            + ", expected 2051)");
      }
      int count = Math.min(data.readInt(), limit);
      int rows = data.readInt();
      int columns = data.readInt();
      float[][] pixels = new float[count][rows * columns];
      byte[] buffer = new byte[rows * columns];
      for (int i = 0; i < count; i++) {
        data.readFully(buffer);
        for (int p = 0; p < buffer.length; p++) {
          pixels[i][p] = (buffer[p] & 0xff) / 255f;
        }
      }
      return new Images(rows, columns, pixels);
    } catch (IOException e) {
      throw new InvalidInputException("Cannot read examples file " + file + ": " + e.getMessage(), e);
    }
  }
}
