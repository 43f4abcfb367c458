package dev.kiln.worker.demo;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * A deterministic picture from a prompt and a seed: a few interfering waves coloured by a
 * palette drawn from both. The same prompt and seed always give the same pixels. It stands in
 * for a diffusion model so the whole flow runs on a CPU.
 */
public final class ProceduralImage {
  private final BufferedImage image;
  private final double[][] waves; // {fx, fy, phase, weight}
  private final int[] palette;

  public ProceduralImage(String prompt, long seed, int width, int height) {
    this.image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    long mix = seed ^ fnv(prompt);
    SplittableRandom rnd = new SplittableRandom(mix);
    waves = new double[5][];
    for (int i = 0; i < waves.length; i++) {
      waves[i] = new double[] {rnd.nextDouble(1, 12) / width, rnd.nextDouble(1, 12) / height,
          rnd.nextDouble(0, Math.PI * 2), rnd.nextDouble(0.3, 1)};
    }
    palette = new int[256];
    double r0 = rnd.nextDouble(0, 6.3), g0 = rnd.nextDouble(0, 6.3), b0 = rnd.nextDouble(0, 6.3);
    for (int i = 0; i < 256; i++) {
      double t = i / 255.0 * Math.PI * 2;
      int r = (int) (127.5 + 127.5 * Math.sin(t + r0));
      int g = (int) (127.5 + 127.5 * Math.sin(t * 1.3 + g0));
      int b = (int) (127.5 + 127.5 * Math.sin(t * 0.7 + b0));
      palette[i] = (r << 16) | (g << 8) | b;
    }
  }

  /** Paints rows {@code [from, to)}; the generator's one "denoising step". */
  public void paintRows(int from, int to) {
    int w = image.getWidth();
    for (int y = from; y < to; y++) {
      for (int x = 0; x < w; x++) {
        double v = 0;
        for (double[] k : waves) v += k[3] * Math.sin(2 * Math.PI * (k[0] * x + k[1] * y) + k[2] + Math.sin(k[1] * x * 3));
        int idx = (int) ((Math.sin(v) * 0.5 + 0.5) * 255);
        image.setRGB(x, y, palette[idx & 0xff]);
      }
    }
  }

  public BufferedImage image() {
    return image;
  }

  private static long fnv(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b;
      h *= 0x100000001b3L;
    }
    return h;
  }
}
