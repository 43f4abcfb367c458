package dev.kiln.worker.demo;

import dev.kiln.task.ErrorCode;
import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Outcome;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.ThreadLocalRandom;
import javax.imageio.ImageIO;

/**
 * {@code image.generate}, demo provider: a real PNG of the asked size from prompt and seed,
 * painted in {@code num_inference_steps} bands with progress after each, encoded by the JDK's
 * ImageIO. It says in its result that it is a stand-in.
 */
public final class DemoImageGenerate implements Executor {
  public static final int DEFAULT_SIZE = 512;
  public static final int DEFAULT_STEPS = 8;

  @Override
  public String toolAction() {
    return "image.generate";
  }

  @Override
  public Future<Outcome> run(Attempt ex) {
    JsonObject in = ex.input();
    String prompt = in.getString("prompt");
    int width = in.getInteger("width", DEFAULT_SIZE);
    int height = in.getInteger("height", DEFAULT_SIZE);
    int steps = Math.min(in.getInteger("num_inference_steps", DEFAULT_STEPS), height);
    long seed = in.getLong("seed", ThreadLocalRandom.current().nextLong(0, 1L << 53));
    ProceduralImage img = new ProceduralImage(prompt, seed, width, height);
    Future<Void> painted = Future.succeededFuture();
    for (int s = 0; s < steps; s++) {
      int step = s;
      painted = painted.compose(v -> ex.isCancelled()
          ? Future.failedFuture("cancelled")
          : ex.vertx().<Void>executeBlocking(() -> {
              img.paintRows(height * step / steps, height * (step + 1) / steps);
              return null;
            }, false).map(x -> {
              ex.progress((step + 1) * 95 / steps, "step " + (step + 1) + " of " + steps);
              return x;
            }));
    }
    return painted.compose(v -> ex.vertx().executeBlocking(() -> {
      ByteArrayOutputStream png = new ByteArrayOutputStream();
      if (!ImageIO.write(img.image(), "png", png)) throw new IllegalStateException("no PNG writer");
      return ex.output("image.png", "image/png", png.toByteArray(), width, height);
    }, false)).map(asset -> {
      ex.progress(100, "encoded");
      JsonObject result = new JsonObject()
          .put("stand_in", true)
          .put("provider", DemoProvider.NAME)
          .put("note", "procedural image from prompt and seed; a stand-in for a diffusion model")
          .put("width", width).put("height", height).put("seed", seed)
          .put("checksum", asset.getString("checksum"));
      return Outcome.success(result, new JsonArray().add(asset));
    }).recover(e -> Future.succeededFuture(ex.isCancelled()
        ? Outcome.retryable(ErrorCode.CANCELLED, "cancelled")
        : Outcome.crashed(ErrorCode.EXECUTOR_ERROR, e)));
  }
}
