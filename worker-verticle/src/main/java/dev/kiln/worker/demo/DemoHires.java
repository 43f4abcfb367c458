package dev.kiln.worker.demo;

import dev.kiln.common.config.ImageLimits;
import dev.kiln.common.image.BoundedImageDecoder;
import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Outcome;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;

/**
 * {@code image.hires}, demo provider: a real Lanczos upscale of the source image by
 * {@code scale} (TwelveMonkeys {@code ResampleOp}); no detail is invented, as a super-resolution
 * model would. It says in its result that it is a stand-in.
 */
public final class DemoHires implements Executor {
  public static final double DEFAULT_SCALE = 2;
  public static final int MAX_SIDE = ImageLimits.MAX_SIDE;

  @Override
  public String toolAction() {
    return "image.hires";
  }

  @Override
  public Future<Outcome> run(Attempt ex) {
    JsonObject in = ex.input();
    record Source(BufferedImage img, double scale, int width, int height) {}
    return DemoSteps.step(ex, 15, "source read", () -> {
      Number n = in.getNumber("scale");
      double scale = n == null ? DEFAULT_SCALE : n.doubleValue();
      if (!(scale >= 1 && scale <= 4)) throw new DemoImages.BadInput("scale must be in 1..4");
      BufferedImage src = DemoImages.read(ex, "source_image", true);
      int w = (int) Math.round(src.getWidth() * scale);
      int h = (int) Math.round(src.getHeight() * scale);
      try {
        // Judged before the canvas is allocated: a 4x upscale of an allowed input may not be allowed.
        ex.decoder().checkCanvas(w, h);
      } catch (BoundedImageDecoder.Rejected e) {
        throw new DemoImages.BadInput("the output at scale " + scale + ": " + e.getMessage());
      }
      return new Source(src, scale, w, h);
    }).compose(s -> DemoSteps.step(ex, 75, "upscaled to " + s.width() + "x" + s.height(),
        () -> DemoImages.resize(s.img(), s.width(), s.height()))
    ).compose(out -> DemoSteps.step(ex, 95, "encoded", () -> DemoSteps.writePng(ex, "image.png", out))
    ).map(asset -> {
      ex.progress(100, "done");
      JsonObject result = DemoSteps.standIn("Lanczos upscale of the source; a stand-in for a super-resolution model")
          .put("scale", in.getNumber("scale", DEFAULT_SCALE))
          .put("width", asset.getInteger("width")).put("height", asset.getInteger("height"))
          .put("checksum", asset.getString("checksum"));
      return Outcome.success(result, new JsonArray().add(asset));
    }).recover(e -> DemoSteps.recover(ex, e));
  }
}
