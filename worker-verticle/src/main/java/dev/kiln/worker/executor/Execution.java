package dev.kiln.worker.executor;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.function.BiConsumer;

/**
 * One attempt as an executor sees it: its input, a progress sink, and its cancellation (by the
 * owner, by the dispatcher at timeout, or by a drain).
 */
public final class Execution {
  private final Vertx vertx;
  private final String taskId;
  private final int attempt;
  private final String toolAction;
  private final JsonObject input;
  private final JsonObject images;
  private final Path assetDir;
  private final BiConsumer<Integer, String> progressSink;
  private final Promise<String> cancelled = Promise.promise();

  public Execution(Vertx vertx, String taskId, int attempt, String toolAction, JsonObject input, JsonObject images,
                   Path assetDir, BiConsumer<Integer, String> progressSink) {
    this.vertx = vertx;
    this.taskId = taskId;
    this.attempt = attempt;
    this.toolAction = toolAction;
    this.input = input;
    this.images = images == null ? new JsonObject() : images;
    this.assetDir = assetDir;
    this.progressSink = progressSink;
  }

  public Vertx vertx() {
    return vertx;
  }

  public String taskId() {
    return taskId;
  }

  public int attempt() {
    return attempt;
  }

  public String toolAction() {
    return toolAction;
  }

  public JsonObject input() {
    return input;
  }

  /**
   * The file of an input image field ({@code source_image}, {@code reference_image}) in the
   * asset store, or null when the task has none. The HTTP role resolved and checked it.
   */
  public Path image(String field) {
    String key = images.getString(field);
    return key == null ? null : assetDir.resolve(key);
  }

  public Path assetDir() {
    return assetDir;
  }

  /** Reports progress, 0-100; safe to call from any thread. */
  public void progress(int percent, String message) {
    progressSink.accept(Math.max(0, Math.min(100, percent)), message);
  }

  public boolean isCancelled() {
    return cancelled.future().isComplete();
  }

  /** Completes with the reason when the attempt must stop. */
  public Future<String> cancellation() {
    return cancelled.future();
  }

  public void cancel(String reason) {
    cancelled.tryComplete(reason);
  }
}
