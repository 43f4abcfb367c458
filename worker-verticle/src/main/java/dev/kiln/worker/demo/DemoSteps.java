package dev.kiln.worker.demo;

import dev.kiln.common.asset.AssetStoreUnavailable;
import dev.kiln.common.image.BoundedImageDecoder;
import dev.kiln.task.ErrorCode;
import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Outcome;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;

/**
 * The run shape shared by the demo image providers, as in {@link DemoImageGenerate}: a few
 * blocking steps off the event loop, the cancellation checked before each, progress after each,
 * and the failure classified at the end.
 */
final class DemoSteps {
  /** Used when the input gives no seed, so the same input always gives the same output. */
  static final long DEFAULT_SEED = 0x6b696c6eL;

  private DemoSteps() {}

  /**
   * Runs {@code work} in {@code executeBlocking} (never on the event loop) unless the attempt
   * was cancelled, then reports {@code percent}.
   */
  static <T> Future<T> step(Attempt ex, int percent, String message, Callable<T> work) {
    if (ex.isCancelled()) return Future.failedFuture("cancelled");
    // map, not onSuccess: the report is then part of the chain, made before the next step starts
    return ex.vertx().<T>executeBlocking(work, false).map(x -> {
      ex.progress(percent, message);
      return x;
    });
  }

  /** Failure classification: cancelled (retryable), unusable input (permanent), no asset store (retryable), else a crash (retryable). */
  static Future<Outcome> recover(Attempt ex, Throwable e) {
    if (ex.isCancelled()) return Future.succeededFuture(Outcome.retryable(ErrorCode.CANCELLED, "cancelled"));
    if (e instanceof DemoImages.BadInput) return Future.succeededFuture(Outcome.permanent(ErrorCode.BAD_INPUT, e.getMessage()));
    // An output over the node's image limits (Attempt.output): the input asked for too much.
    if (e instanceof BoundedImageDecoder.Rejected r && r.reason() == BoundedImageDecoder.Reason.TOO_LARGE) {
      return Future.succeededFuture(Outcome.permanent(ErrorCode.BAD_INPUT, "output: " + e.getMessage()));
    }
    // No store node answered (KILN_WORKER_ASSETS=cluster): retried, said plainly rather than as a crash.
    Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
    if (cause instanceof AssetStoreUnavailable) {
      return Future.succeededFuture(Outcome.retryable(ErrorCode.EXECUTOR_ERROR, cause.getMessage()));
    }
    return Future.succeededFuture(Outcome.crashed(ErrorCode.EXECUTOR_ERROR, e));
  }

  /** The result fields every stand-in carries. */
  static JsonObject standIn(String note) {
    return new JsonObject().put("stand_in", true).put("provider", DemoProvider.NAME).put("note", note);
  }

  /** Encodes the image as PNG and stores it as the attempt's output asset. */
  static JsonObject writePng(Attempt ex, String fileName, BufferedImage img) throws IOException {
    return ex.output(fileName, "image/png", DemoImages.png(img), img.getWidth(), img.getHeight());
  }

  /** {@code config.<key>} as a number in {@code [min, max]}, or the default when absent. */
  static double config(JsonObject input, String key, double def, double min, double max) {
    Number n = input.getJsonObject("config", new JsonObject()).getNumber(key);
    double v = n == null ? def : n.doubleValue();
    if (!(v >= min && v <= max)) throw new DemoImages.BadInput("config." + key + " must be in " + min + ".." + max);
    return v;
  }

  static long seed(JsonObject input) {
    Number n = input.getNumber("seed");
    return n == null ? DEFAULT_SEED : n.longValue();
  }
}
