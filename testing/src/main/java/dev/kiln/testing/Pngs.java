package dev.kiln.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;

/** PNGs for tests that a drawing library would take too long, or too much memory, to make. */
public final class Pngs {
  private Pngs() {}

  /**
   * A valid, whole PNG of a black {@code width x height} canvas at 1 bit a pixel: a few KB on
   * disk however large the canvas (8192x8192 is about 8 KB), so it decodes fully to a huge image
   * (a decompression bomb). Made by hand, row by row, without ever holding the canvas.
   */
  public static byte[] blank(int width, int height) {
    ByteArrayOutputStream idat = new ByteArrayOutputStream();
    byte[] row = new byte[1 + (width + 7) / 8]; // filter byte 0 ("none"), then the row's bits, all zero
    try (DeflaterOutputStream z = new DeflaterOutputStream(idat)) {
      for (int y = 0; y < height; y++) z.write(row);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
        .put((byte) 1).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0); // 1-bit greyscale, no interlace
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    png.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    chunk(png, "IHDR", ihdr.array());
    chunk(png, "IDAT", idat.toByteArray());
    chunk(png, "IEND", new byte[0]);
    return png.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] name = type.getBytes(StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(name);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(name);
    out.writeBytes(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }
}
