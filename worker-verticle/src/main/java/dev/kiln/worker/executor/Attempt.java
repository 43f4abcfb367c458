package dev.kiln.worker.executor;

import dev.kiln.common.asset.AssetStore;
import dev.kiln.common.hash.Sha256;
import dev.kiln.common.image.BoundedImageDecoder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.function.BiConsumer;

/**
 * One attempt as an executor sees it: its input, its input images and a place for its outputs
 * (both in the asset store, so no executor knows where bytes live), the node's bounded image
 * decoder, a progress sink, and its cancellation (by the owner, by the dispatcher at timeout, or
 * by a drain).
 */
public final class Attempt {
  private final Vertx vertx;
  private final String taskId;
  private final int attempt;
  private final String toolAction;
  private final JsonObject input;
  private final JsonObject images;
  private final AssetStore assets;
  private final BoundedImageDecoder decoder;
  private final BiConsumer<Integer, String> progressSink;
  private final Promise<String> cancelled = Promise.promise();
  private volatile String providerJobId;
  private final StringBuilder logs = new StringBuilder();

  /** The attempt's log keeps its last this many characters: a chatty model does not fill a row. */
  public static final int MAX_LOG_CHARS = 65_536;

  /**
   * {@code images}: input image field to its asset key, as the HTTP role resolved them (null:
   * none); {@code decoder}: the node's, which every input and output image must pass.
   */
  public Attempt(Vertx vertx, String taskId, int attempt, String toolAction, JsonObject input, JsonObject images,
                 AssetStore assets, BoundedImageDecoder decoder, BiConsumer<Integer, String> progressSink) {
    this.vertx = vertx;
    this.taskId = taskId;
    this.attempt = attempt;
    this.toolAction = toolAction;
    this.input = input;
    this.images = images == null ? new JsonObject() : images;
    this.assets = assets;
    this.decoder = decoder;
    this.progressSink = progressSink;
  }

  /** The worker's Vert.x: timers and {@code executeBlocking} for the executor's steps. */
  public Vertx vertx() {
    return vertx;
  }

  /** With {@link #attempt()}, names this attempt in progress, reports and its output keys. */
  public String taskId() {
    return taskId;
  }

  /** The attempt's number, from 1; a retry is a new attempt with new outputs. */
  public int attempt() {
    return attempt;
  }

  /** The action the task asked for, which chose the executor. */
  public String toolAction() {
    return toolAction;
  }

  /** The task's {@code input}, already valid against the action's schema (the HTTP role checked). */
  public JsonObject input() {
    return input;
  }

  /**
   * The bytes of an input image field ({@code source_image}, {@code reference_image}), or null
   * when the task has no such input; the HTTP role checked that it exists, so a
   * {@link java.nio.file.NoSuchFileException} means it has gone since. Blocking: call from
   * {@code executeBlocking}.
   */
  public byte[] image(String field) throws IOException {
    String key = images.getString(field);
    return key == null ? null : assets.read(key);
  }

  /**
   * The node's image decoder: how an executor reads an image (its canvas judged from the header,
   * a decode slot waited for), and the limits of what it may make.
   */
  public BoundedImageDecoder decoder() {
    return decoder;
  }

  /**
   * Stores an output file of this attempt under {@code tasks/<task id>/<attempt>/<fileName>} and
   * returns its {@code task_assets} row as the dispatcher records it (an {@code output}; an
   * executor may change {@code asset_type}, as for a preview). A PNG or JPEG must be a whole
   * image within the node's limits (from its header; else {@link BoundedImageDecoder.Rejected}),
   * so what a provider sends back can be served and be the next task's input. Blocking: call
   * from {@code executeBlocking}.
   */
  public JsonObject output(String fileName, String mimeType, byte[] bytes, Integer width, Integer height) throws IOException {
    if (fileName.isEmpty() || fileName.contains("/") || fileName.equals(".") || fileName.equals("..")) {
      throw new IllegalArgumentException("an output's file name must be a plain name, got '" + fileName + "'");
    }
    if (mimeType.equals("image/png") || mimeType.equals("image/jpeg")) decoder.header(bytes);
    String key = "tasks/" + taskId + "/" + attempt + "/" + fileName;
    assets.write(key, bytes);
    return new JsonObject()
        .put("asset_type", "output")
        .put("object_key", key)
        .put("file_name", fileName)
        .put("mime_type", mimeType)
        .put("size_bytes", (long) bytes.length)
        .put("width", width)
        .put("height", height)
        .put("checksum", Sha256.hex(bytes));
  }

  /** Reports progress, 0-100; safe to call from any thread. */
  public void progress(int percent, String message) {
    progressSink.accept(Math.max(0, Math.min(100, percent)), message);
  }

  /** True once the attempt must stop; long steps check it between steps. */
  public boolean isCancelled() {
    return cancelled.future().isComplete();
  }

  /** Completes with the reason when the attempt must stop. */
  public Future<String> cancellation() {
    return cancelled.future();
  }

  /** Stops the attempt (the first reason wins); the executor sees it through {@link #cancellation()}. */
  public void cancel(String reason) {
    cancelled.tryComplete(reason);
  }

  /** Names the provider's own job for this attempt (a ComfyUI prompt_id, a Cog prediction id), kept on the task. */
  public void providerJob(String id) {
    providerJobId = id;
  }

  /** The provider's own job id, or null before it has one. */
  public String providerJobId() {
    return providerJobId;
  }

  /** Keeps what the provider logged (Cog's {@code logs}), the last {@link #MAX_LOG_CHARS} of it; safe from any thread. */
  public void log(String text) {
    if (text == null || text.isEmpty()) return;
    synchronized (logs) {
      logs.append(text);
      if (logs.length() > MAX_LOG_CHARS) logs.delete(0, logs.length() - MAX_LOG_CHARS);
    }
  }

  /** Replaces the log with the provider's whole log so far (Cog sends all of it each time). */
  public void logsSoFar(String text) {
    synchronized (logs) {
      logs.setLength(0);
    }
    log(text);
  }

  /** What the provider logged, or null when nothing. */
  public String logs() {
    synchronized (logs) {
      return logs.isEmpty() ? null : logs.toString();
    }
  }
}
