package dev.kiln.worker.demo;

import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Outcome;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;

/**
 * {@code image.head-swap}, demo provider: no face detection; it assumes the head is in the
 * top centre of both images. The top-centre region of the reference (upper 40 %, middle 60 %)
 * is scaled to fit the same region of the source and pasted through a feathered elliptical
 * mask, weighted by {@code config.strength}. It says in its result that it is a stand-in.
 */
public final class DemoHeadSwap implements Executor {
  static final double REGION_HEIGHT = 0.4;
  static final double REGION_WIDTH = 0.6;
  /** Share of the ellipse's radius over which the mask fades out. */
  static final double FEATHER = 0.25;

  @Override
  public String toolAction() {
    return "image.head-swap";
  }

  @Override
  public Future<Outcome> run(Attempt ex) {
    JsonObject in = ex.input();
    record Inputs(BufferedImage src, BufferedImage ref, double strength) {}
    record Patch(BufferedImage src, BufferedImage patch, int x, int y, double strength) {}
    record Blended(BufferedImage img, JsonObject box) {}
    return DemoSteps.step(ex, 15, "images read", () -> {
      double strength = DemoSteps.config(in, "strength", 1, 0, 1);
      return new Inputs(DemoImages.read(ex, "source_image", true), DemoImages.read(ex, "reference_image", true), strength);
    }).compose(i -> DemoSteps.step(ex, 45, "reference region scaled", () -> {
      BufferedImage ref = i.ref();
      int rw = Math.max(1, (int) Math.round(ref.getWidth() * REGION_WIDTH));
      int rh = Math.max(1, (int) Math.round(ref.getHeight() * REGION_HEIGHT));
      BufferedImage region = ref.getSubimage((ref.getWidth() - rw) / 2, 0, rw, rh);
      int sw = i.src().getWidth(), sh = i.src().getHeight();
      double boxW = sw * REGION_WIDTH, boxH = sh * REGION_HEIGHT;
      double s = Math.min(boxW / rw, boxH / rh);
      int pw = Math.max(1, (int) Math.round(rw * s)), ph = Math.max(1, (int) Math.round(rh * s));
      return new Patch(i.src(), DemoImages.resize(region, pw, ph), (sw - pw) / 2,
          (int) Math.max(0, Math.round((boxH - ph) / 2)), i.strength());
    })).compose(p -> DemoSteps.step(ex, 80, "blended", () -> {
      int sw = p.src().getWidth(), sh = p.src().getHeight();
      int pw = p.patch().getWidth(), ph = p.patch().getHeight();
      int[] out = DemoImages.pixels(p.src());
      int[] patch = DemoImages.pixels(p.patch());
      for (int y = 0; y < ph && p.y() + y < sh; y++) {
        for (int x = 0; x < pw && p.x() + x < sw; x++) {
          double u = (x + 0.5 - pw / 2.0) / (pw / 2.0), v = (y + 0.5 - ph / 2.0) / (ph / 2.0);
          double mask = (1 - DemoImages.smoothstep(1 - FEATHER, 1, Math.sqrt(u * u + v * v))) * p.strength();
          if (mask <= 0) continue;
          int i = (p.y() + y) * sw + p.x() + x;
          out[i] = DemoImages.over(patch[y * pw + x], mask, out[i]);
        }
      }
      JsonObject box = new JsonObject().put("x", p.x()).put("y", p.y()).put("width", pw).put("height", ph);
      return new Blended(DemoImages.fromPixels(out, sw, sh), box);
    })).compose(b -> DemoSteps.step(ex, 95, "encoded", () -> DemoSteps.writePng(ex, "image.png", b.img())).map(asset -> {
      ex.progress(100, "done");
      JsonObject result = DemoSteps.standIn("pastes the reference's top-centre region onto the source's through a feathered "
              + "elliptical mask; a stand-in for a head-swap model")
          .put("paste_box", b.box())
          .put("width", asset.getInteger("width")).put("height", asset.getInteger("height"))
          .put("checksum", asset.getString("checksum"));
      return Outcome.success(result, new JsonArray().add(asset));
    })).recover(e -> DemoSteps.recover(ex, e));
  }
}
