package dev.activationmonkey.trainer.data;

import dev.activationmonkey.errors.InvalidInputException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** Reads MNIST's IDX files (optionally gzip-compressed): unsigned-byte images and labels. */
final class Idx {
  private Idx() {}

  static final int IMAGES_MAGIC = 0x00000803;
  static final int LABELS_MAGIC = 0x00000801;

  /** Images as [n][rows * cols] floats in 0..255, at most {@code limit} of them (0 = all). */
  static float[][] images(InputStream raw, String name, int limit) throws IOException {
    try (DataInputStream in = open(raw)) {
      int magic = in.readInt();
      if (magic != IMAGES_MAGIC) {
        throw new InvalidInputException(name + ": not an IDX image file (magic " + Integer.toHexString(magic) + ")");
      }
      int n = in.readInt();
      int rows = in.readInt();
      int cols = in.readInt();
      int count = limit > 0 ? Math.min(limit, n) : n;
      byte[] pixels = new byte[rows * cols];
      float[][] images = new float[count][rows * cols];
      for (int i = 0; i < count; i++) {
        in.readFully(pixels);
        for (int p = 0; p < pixels.length; p++) {
          images[i][p] = pixels[p] & 0xFF;
        }
      }
      return images;
    }
  }

  static int[] labels(InputStream raw, String name, int limit) throws IOException {
    try (DataInputStream in = open(raw)) {
      int magic = in.readInt();
      if (magic != LABELS_MAGIC) {
        throw new InvalidInputException(name + ": not an IDX label file (magic " + Integer.toHexString(magic) + ")");
      }
      int n = in.readInt();
      int count = limit > 0 ? Math.min(limit, n) : n;
      byte[] bytes = new byte[count];
      in.readFully(bytes);
      int[] labels = new int[count];
      for (int i = 0; i < count; i++) {
        labels[i] = bytes[i] & 0xFF;
      }
      return labels;
    }
  }

  private static DataInputStream open(InputStream raw) throws IOException {
    BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
    buffered.mark(2);
    int b1 = buffered.read();
    int b2 = buffered.read();
    buffered.reset();
    boolean gzip = b1 == 0x1f && b2 == 0x8b;
    return new DataInputStream(gzip ? new BufferedInputStream(new GZIPInputStream(buffered, 1 << 16)) : buffered);
  }
}
