package dev.kiln.worker.demo;

import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Outcome;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.geom.AffineTransform;
import java.awt.geom.NoninvertibleTransformException;
import java.awt.image.BufferedImage;

/**
 * {@code image.pose-change}, demo provider: no pose model; a real geometric warp instead. The
 * source is mirrored, sheared and rotated a little ({@code config.strength} sets how much),
 * scaled to cover the canvas and bilinear sampled. With a reference image the canvas takes its
 * aspect ratio (about the source's pixel count). It says in its result that it is a stand-in.
 */
public final class DemoPoseChange implements Executor {
  public static final double DEFAULT_STRENGTH = 0.5;
  static final double MAX_ROTATION_DEGREES = 12;
  static final double MAX_SHEAR = 0.2;
  static final int BANDS = 4;

  @Override
  public String toolAction() {
    return "image.pose-change";
  }

  @Override
  public Future<Outcome> run(Attempt ex) {
    JsonObject in = ex.input();
    Future<Warp> warp = DemoSteps.step(ex, 15, "images read", () -> {
      double strength = DemoSteps.config(in, "strength", DEFAULT_STRENGTH, 0, 1);
      BufferedImage src = DemoImages.read(ex, "source_image", true);
      BufferedImage ref = DemoImages.read(ex, "reference_image", false);
      return new Warp(src, ref, strength);
    });
    // Sampled in bands of rows, so progress moves and a cancel stops it between bands.
    for (int b = 0; b < BANDS; b++) {
      int band = b;
      warp = warp.compose(wp -> DemoSteps.step(ex, 15 + (band + 1) * 70 / BANDS, "warped band " + (band + 1) + " of " + BANDS,
          () -> wp.sampleRows(wp.height * band / BANDS, wp.height * (band + 1) / BANDS)));
    }
    return warp.compose(wp -> DemoSteps.step(ex, 95, "encoded",
        () -> DemoSteps.writePng(ex, "image.png", DemoImages.fromPixels(wp.out, wp.width, wp.height))).map(asset -> {
      ex.progress(100, "done");
      JsonObject result = DemoSteps.standIn("mirrors the source with a slight shear and rotation (bilinear); "
              + "a stand-in for a pose-transfer model")
          .put("strength", wp.strength).put("rotation_degrees", wp.rotationDegrees).put("shear", wp.shear)
          .put("canvas_from_reference", wp.fromReference)
          .put("width", asset.getInteger("width")).put("height", asset.getInteger("height"))
          .put("checksum", asset.getString("checksum"));
      return Outcome.success(result, new JsonArray().add(asset));
    })).recover(e -> DemoSteps.recover(ex, e));
  }

  /** The warp of one source onto its canvas; {@link #sampleRows} fills the output a band at a time. */
  static final class Warp {
    final int width;
    final int height;
    final int[] out;
    final double strength;
    final double rotationDegrees;
    final double shear;
    final boolean fromReference;
    private final int[] src;
    private final int srcWidth;
    private final int srcHeight;
    private final double[] inverse = new double[6];

    Warp(BufferedImage source, BufferedImage reference, double strength) throws NoninvertibleTransformException {
      this.srcWidth = source.getWidth();
      this.srcHeight = source.getHeight();
      this.src = DemoImages.pixels(source);
      this.strength = strength;
      this.fromReference = reference != null;
      if (reference == null) {
        width = srcWidth;
        height = srcHeight;
      } else {
        // The reference's aspect ratio at about the source's pixel count.
        double aspect = (double) reference.getWidth() / reference.getHeight();
        double area = (double) srcWidth * srcHeight;
        width = (int) Math.max(1, Math.min(DemoHires.MAX_SIDE, Math.round(Math.sqrt(area * aspect))));
        height = (int) Math.max(1, Math.min(DemoHires.MAX_SIDE, Math.round(Math.sqrt(area / aspect))));
      }
      this.out = new int[width * height];
      this.rotationDegrees = MAX_ROTATION_DEGREES * strength;
      this.shear = MAX_SHEAR * strength;
      // Cover the canvas, plus a zoom that grows with the tilt so little of the clamped edge shows.
      double scale = Math.max((double) width / srcWidth, (double) height / srcHeight) * (1 + 0.25 * strength);
      AffineTransform t = new AffineTransform();
      t.translate(width / 2.0, height / 2.0);
      t.rotate(Math.toRadians(rotationDegrees));
      t.shear(shear, 0);
      t.scale(-scale, scale);
      t.translate(-srcWidth / 2.0, -srcHeight / 2.0);
      t.createInverse().getMatrix(inverse);
    }

    /** Output rows {@code [from, to)}: each pixel centre mapped back into the source and sampled there. */
    Warp sampleRows(int from, int to) {
      double m00 = inverse[0], m10 = inverse[1], m01 = inverse[2], m11 = inverse[3], m02 = inverse[4], m12 = inverse[5];
      for (int y = from; y < to; y++) {
        double cy = y + 0.5;
        for (int x = 0; x < width; x++) {
          double cx = x + 0.5;
          out[y * width + x] = DemoImages.bilinear(src, srcWidth, srcHeight, m00 * cx + m01 * cy + m02, m10 * cx + m11 * cy + m12);
        }
      }
      return this;
    }
  }
}
