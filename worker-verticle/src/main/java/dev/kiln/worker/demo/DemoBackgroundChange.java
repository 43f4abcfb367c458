package dev.kiln.worker.demo;

import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Outcome;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * {@code image.background-change}, demo provider: no segmentation model; it takes the
 * background to be the colour that dominates the image's border. Pixels close to that colour
 * (and transparent ones) form a soft mask, and there the reference image (scaled to cover) or,
 * without one, a gradient drawn from prompt and seed shows through, weighted by
 * {@code config.strength}. It says in its result that it is a stand-in.
 */
public final class DemoBackgroundChange implements Executor {
  /** Width of the border band sampled for the background, as a share of the shorter side. */
  static final double BORDER = 0.02;
  /** Colour distance (RGB, 0..441) over which the mask fades from background to subject. */
  static final double FADE = 48;

  @Override
  public String toolAction() {
    return "image.background-change";
  }

  @Override
  public Future<Outcome> run(Attempt ex) {
    JsonObject in = ex.input();
    String prompt = in.getString("prompt", "");
    long seed = DemoSteps.seed(in);
    record Inputs(BufferedImage src, BufferedImage ref, double strength) {}
    record Masked(Inputs in, double[] mask, int background) {}
    record Staged(Masked m, BufferedImage backdrop) {}
    record Composited(BufferedImage img, int background, double share, boolean fromReference) {}
    return DemoSteps.step(ex, 15, "images read", () -> {
      double strength = DemoSteps.config(in, "strength", 1, 0, 1);
      return new Inputs(DemoImages.read(ex, "source_image", true), DemoImages.read(ex, "reference_image", false), strength);
    }).compose(i -> DemoSteps.step(ex, 45, "background masked", () -> {
      int[] px = DemoImages.pixels(i.src());
      int w = i.src().getWidth(), h = i.src().getHeight();
      int bg = borderColour(px, w, h);
      return new Masked(i, mask(px, w, h, bg), bg);
    })).compose(m -> DemoSteps.step(ex, 65, m.in().ref() != null ? "reference scaled" : "gradient painted", () -> {
      int w = m.in().src().getWidth(), h = m.in().src().getHeight();
      return new Staged(m, m.in().ref() != null ? DemoImages.cover(m.in().ref(), w, h) : gradient(prompt, seed, w, h));
    })).compose(s -> DemoSteps.step(ex, 85, "composited", () -> {
      int w = s.m().in().src().getWidth(), h = s.m().in().src().getHeight();
      int[] src = DemoImages.pixels(s.m().in().src());
      int[] back = DemoImages.pixels(s.backdrop());
      double[] mask = s.m().mask();
      double sum = 0;
      for (int i = 0; i < src.length; i++) {
        sum += mask[i];
        src[i] = DemoImages.blend(src[i], back[i], mask[i] * s.m().in().strength());
      }
      return new Composited(DemoImages.fromPixels(src, w, h), s.m().background(), sum / src.length, s.m().in().ref() != null);
    })).compose(c -> DemoSteps.step(ex, 95, "encoded", () -> DemoSteps.writePng(ex, "image.png", c.img())).map(asset -> {
      ex.progress(100, "done");
      JsonObject result = DemoSteps.standIn("replaces the pixels close to the border's dominant colour; "
              + "a stand-in for a segmentation and inpainting model")
          .put("background_color", DemoImages.hex(c.background()))
          .put("background_share", Math.round(c.share() * 10000) / 10000.0)
          .put("backdrop", c.fromReference() ? "reference_image" : "gradient")
          .put("seed", seed)
          .put("width", asset.getInteger("width")).put("height", asset.getInteger("height"))
          .put("checksum", asset.getString("checksum"));
      return Outcome.success(result, new JsonArray().add(asset));
    })).recover(e -> DemoSteps.recover(ex, e));
  }

  /** Per-channel median of the opaque pixels in the border band: robust to a subject touching the edge. */
  static int borderColour(int[] px, int w, int h) {
    int band = Math.max(1, (int) Math.round(Math.min(w, h) * BORDER));
    int[][] ch = new int[3][borderCount(w, h, band)];
    int n = 0;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        if (x >= band && x < w - band && y >= band && y < h - band) continue;
        int p = px[y * w + x];
        if (p >>> 24 < 128) continue;
        ch[0][n] = (p >> 16) & 0xff;
        ch[1][n] = (p >> 8) & 0xff;
        ch[2][n] = p & 0xff;
        n++;
      }
    }
    if (n == 0) return 0xffffff; // a transparent border: the transparency is the background
    int rgb = 0;
    for (int[] c : ch) {
      Arrays.sort(c, 0, n);
      rgb = rgb << 8 | c[n / 2];
    }
    return rgb;
  }

  /**
   * 1 where the pixel is background, 0 where it is subject. The threshold adapts to how much
   * the border itself varies (its 90th-percentile distance), so noisy backdrops still mask.
   */
  static double[] mask(int[] px, int w, int h, int bg) {
    double[] d = new double[px.length];
    for (int i = 0; i < px.length; i++) d[i] = distance(px[i], bg);
    int band = Math.max(1, (int) Math.round(Math.min(w, h) * BORDER));
    double[] border = new double[borderCount(w, h, band)];
    int n = 0;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        if (x < band || x >= w - band || y < band || y >= h - band) border[n++] = d[y * w + x];
      }
    }
    Arrays.sort(border, 0, n);
    double t0 = Math.min(200, border[(int) ((n - 1) * 0.9)]) + 10;
    double[] m = new double[px.length];
    for (int i = 0; i < px.length; i++) {
      double colour = 1 - DemoImages.smoothstep(t0, t0 + FADE, d[i]);
      m[i] = Math.max(colour, 1 - (px[i] >>> 24) / 255.0);
    }
    return blur(m, w, h, Math.max(1, Math.min(w, h) / 200));
  }

  private static double distance(int p, int q) {
    double dr = ((p >> 16) & 0xff) - ((q >> 16) & 0xff);
    double dg = ((p >> 8) & 0xff) - ((q >> 8) & 0xff);
    double db = (p & 0xff) - (q & 0xff);
    return Math.sqrt(dr * dr + dg * dg + db * db);
  }

  /** Separable box blur (running sums), so the mask's edge is soft rather than a jagged cut-out. */
  static double[] blur(double[] m, int w, int h, int r) {
    double[] tmp = new double[m.length];
    double[] pre = new double[Math.max(w, h) + 1];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) pre[x + 1] = pre[x] + m[y * w + x];
      for (int x = 0; x < w; x++) {
        int lo = Math.max(0, x - r), hi = Math.min(w - 1, x + r);
        tmp[y * w + x] = (pre[hi + 1] - pre[lo]) / (hi - lo + 1);
      }
    }
    double[] out = new double[m.length];
    for (int x = 0; x < w; x++) {
      for (int y = 0; y < h; y++) pre[y + 1] = pre[y] + tmp[y * w + x];
      for (int y = 0; y < h; y++) {
        int lo = Math.max(0, y - r), hi = Math.min(h - 1, y + r);
        out[y * w + x] = (pre[hi + 1] - pre[lo]) / (hi - lo + 1);
      }
    }
    return out;
  }

  /** How many pixels lie in the border band. */
  private static int borderCount(int w, int h, int band) {
    return w * h - Math.max(0, w - 2 * band) * Math.max(0, h - 2 * band);
  }

  /** A two-colour linear gradient; colours and angle drawn from prompt and seed, so it is reproducible. */
  static BufferedImage gradient(String prompt, long seed, int w, int h) {
    long mix = seed;
    for (byte b : prompt.getBytes(StandardCharsets.UTF_8)) mix = (mix ^ b) * 0x100000001b3L;
    SplittableRandom rnd = new SplittableRandom(mix);
    float hue = (float) rnd.nextDouble();
    int from = Color.HSBtoRGB(hue, (float) rnd.nextDouble(0.3, 0.7), (float) rnd.nextDouble(0.8, 0.97));
    int to = Color.HSBtoRGB(hue + (float) rnd.nextDouble(0.1, 0.35), (float) rnd.nextDouble(0.4, 0.8), (float) rnd.nextDouble(0.3, 0.6));
    double angle = rnd.nextDouble(0, Math.PI * 2), dx = Math.cos(angle), dy = Math.sin(angle);
    double half = (Math.abs(dx) * w + Math.abs(dy) * h) / 2;
    int[] px = new int[w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double t = ((x + 0.5 - w / 2.0) * dx + (y + 0.5 - h / 2.0) * dy) / half * 0.5 + 0.5;
        px[y * w + x] = DemoImages.lerp(from | 0xff000000, to | 0xff000000, t);
      }
    }
    return DemoImages.fromPixels(px, w, h);
  }
}
