package dev.kiln.worker.demo;

import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Outcome;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code image.pattern-extract}, demo provider: a real colour quantisation. k-means in RGB over
 * a seeded sample of the pixels (k-means++ start), then every pixel takes its nearest centre;
 * the output is the quantised PNG and the palette with each colour's share. Transparent areas
 * are flattened onto white first. It says in its result that it is a stand-in.
 */
public final class DemoPatternExtract implements Executor {
  public static final int DEFAULT_COLORS = 6;
  static final int SAMPLE = 16_384;
  static final int ROUNDS = 3;
  static final int ITERATIONS_PER_ROUND = 5;

  @Override
  public String toolAction() {
    return "image.pattern-extract";
  }

  @Override
  public Future<Outcome> run(Attempt ex) {
    JsonObject in = ex.input();
    long seed = DemoSteps.seed(in);
    Future<KMeans> fit = DemoSteps.step(ex, 15, "source read", () -> {
      int colors = (int) Math.round(DemoSteps.config(in, "colors", DEFAULT_COLORS, 2, 16));
      BufferedImage src = DemoImages.read(ex, "source_image", true);
      return new KMeans(src, colors, new SplittableRandom(seed));
    });
    // The fitting is the long part: a few rounds, so progress moves and a cancel stops it early.
    for (int r = 0; r < ROUNDS; r++) {
      int round = r;
      fit = fit.compose(km -> DemoSteps.step(ex, 15 + (round + 1) * 60 / ROUNDS, "k-means round " + (round + 1) + " of " + ROUNDS,
          () -> km.iterate(ITERATIONS_PER_ROUND)));
    }
    record Done(JsonObject asset, JsonArray palette) {}
    return fit.compose(km -> DemoSteps.step(ex, 95, "quantised", () -> {
      BufferedImage out = km.quantise();
      return new Done(DemoSteps.writePng(ex, "pattern.png", out), km.palette());
    })).map(done -> {
      ex.progress(100, "done");
      JsonObject asset = done.asset();
      JsonArray palette = done.palette();
      JsonObject result = DemoSteps.standIn("k-means colour quantisation of the source; a stand-in for a pattern model")
          .put("colors", palette.size()).put("palette", palette).put("seed", seed)
          .put("width", asset.getInteger("width")).put("height", asset.getInteger("height"))
          .put("checksum", asset.getString("checksum"));
      return Outcome.success(result, new JsonArray().add(asset));
    }).recover(e -> DemoSteps.recover(ex, e));
  }

  /** Lloyd's k-means on RGB triples, fitted on a sample and applied to every pixel. */
  static final class KMeans {
    private final int width;
    private final int height;
    private final int[] rgb;
    private final int[] sample;
    private final double[][] centres;
    private final SplittableRandom rnd;
    private boolean converged;
    private int[] counts;

    KMeans(BufferedImage src, int k, SplittableRandom rnd) {
      this.width = src.getWidth();
      this.height = src.getHeight();
      this.rnd = rnd;
      int[] argb = DemoImages.pixels(src);
      rgb = new int[argb.length];
      for (int i = 0; i < argb.length; i++) rgb[i] = DemoImages.lerp(0xffffffff, argb[i], (argb[i] >>> 24) / 255.0) & 0xffffff;
      sample = argb.length <= SAMPLE ? rgb.clone() : new int[SAMPLE];
      if (argb.length > SAMPLE) for (int i = 0; i < SAMPLE; i++) sample[i] = rgb[rnd.nextInt(rgb.length)];
      centres = new double[k][];
      seedCentres();
    }

    /** k-means++: each next centre drawn with probability proportional to its squared distance. */
    private void seedCentres() {
      centres[0] = triple(sample[rnd.nextInt(sample.length)]);
      double[] d2 = new double[sample.length];
      for (int c = 1; c < centres.length; c++) {
        double total = 0;
        for (int i = 0; i < sample.length; i++) {
          d2[i] = dist2(triple(sample[i]), centres[nearest(sample[i], c)]);
          total += d2[i];
        }
        int pick = 0;
        if (total > 0) {
          double target = rnd.nextDouble() * total;
          while (pick < sample.length - 1 && (target -= d2[pick]) > 0) pick++;
        }
        centres[c] = triple(sample[pick]);
      }
    }

    KMeans iterate(int iterations) {
      for (int it = 0; it < iterations && !converged; it++) {
        double[][] sums = new double[centres.length][3];
        int[] n = new int[centres.length];
        for (int p : sample) {
          int c = nearest(p, centres.length);
          sums[c][0] += (p >> 16) & 0xff;
          sums[c][1] += (p >> 8) & 0xff;
          sums[c][2] += p & 0xff;
          n[c]++;
        }
        double moved = 0;
        for (int c = 0; c < centres.length; c++) {
          // An empty cluster restarts on a random sample so k colours stay in play.
          double[] next = n[c] == 0 ? triple(sample[rnd.nextInt(sample.length)])
              : new double[] {sums[c][0] / n[c], sums[c][1] / n[c], sums[c][2] / n[c]};
          moved = Math.max(moved, dist2(next, centres[c]));
          centres[c] = next;
        }
        converged = moved < 0.25;
      }
      return this;
    }

    /** Every pixel replaced by its nearest centre, rounded; at most k colours. */
    BufferedImage quantise() {
      int[] out = new int[rgb.length];
      int[] packed = new int[centres.length];
      for (int c = 0; c < centres.length; c++) packed[c] = 0xff000000 | DemoImages.argb(0, centres[c][0], centres[c][1], centres[c][2]);
      counts = new int[centres.length];
      for (int i = 0; i < rgb.length; i++) {
        int c = nearest(rgb[i], centres.length);
        counts[c]++;
        out[i] = packed[c];
      }
      return DemoImages.fromPixels(out, width, height);
    }

    /** The colours used, most common first, each with its share of the pixels (after {@link #quantise}). */
    JsonArray palette() {
      Map<Integer, Integer> byColour = new LinkedHashMap<>();
      for (int c = 0; c < centres.length; c++) {
        if (counts[c] == 0) continue;
        int colour = DemoImages.argb(0, centres[c][0], centres[c][1], centres[c][2]);
        byColour.merge(colour, counts[c], Integer::sum);
      }
      JsonArray palette = new JsonArray();
      byColour.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).forEach(e -> palette.add(new JsonObject()
          .put("hex", DemoImages.hex(e.getKey()))
          .put("share", Math.round(e.getValue() * 10000.0 / rgb.length) / 10000.0)));
      return palette;
    }

    private int nearest(int p, int among) {
      double r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;
      int best = 0;
      double bestD = Double.MAX_VALUE;
      for (int c = 0; c < among; c++) {
        double dr = r - centres[c][0], dg = g - centres[c][1], db = b - centres[c][2];
        double d = dr * dr + dg * dg + db * db;
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      return best;
    }

    private static double[] triple(int p) {
      return new double[] {(p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff};
    }

    private static double dist2(double[] a, double[] b) {
      double dr = a[0] - b[0], dg = a[1] - b[1], db = a[2] - b[2];
      return dr * dr + dg * dg + db * db;
    }
  }
}
