package dev.kiln.worker.comfy;

import dev.kiln.common.image.BoundedImageDecoder;
import dev.kiln.task.ErrorCode;
import dev.kiln.task.ToolAction;
import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Outcome;
import dev.kiln.worker.providers.ProvidersFile;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One attempt on a ComfyUI: upload its input images, fill the workflow, open the websocket, post
 * the prompt under an id of the worker's choosing, follow it to its end, then read its history
 * and store each saved image as an output. A cancel (owner, timeout, drain) takes the prompt out
 * of the queue or interrupts it, whichever it needs. The websocket is closed on every path.
 */
final class ComfyRun {
  /** The percent reported once the outputs are stored. */
  static final int OUTPUTS_PERCENT = 95;

  private final String provider;
  private final ComfyClient client;
  private final ProvidersFile.ActionSpec action;
  private final Attempt attempt;
  private final String promptId = UUID.randomUUID().toString();
  private final String clientId = "kiln-" + UUID.randomUUID().toString().replace("-", "");
  private PromptEvents events;
  private boolean submitted;
  private Future<Void> stopping;

  ComfyRun(String provider, ComfyClient client, ProvidersFile.ActionSpec action, Attempt attempt) {
    this.provider = provider;
    this.client = client;
    this.action = action;
    this.attempt = attempt;
  }

  Future<Outcome> run() {
    return uploadImages()
        .compose(this::fill)
        .compose(this::follow)
        .compose(v -> client.history(promptId))
        .compose(this::outputs)
        .recover(this::classify)
        .eventually(() -> events == null ? Future.succeededFuture() : events.close());
  }

  /** An input image's bytes, and whether they are a PNG (else a JPEG). */
  private record Input(byte[] bytes, boolean png) {}

  /** Each image field the workflow names, uploaded; a field the task lacks is left for {@link #fill} to refuse. */
  private Future<Map<String, String>> uploadImages() {
    Map<String, String> names = new LinkedHashMap<>();
    Future<Void> chain = Future.succeededFuture();
    for (String field : ToolAction.IMAGE_FIELDS) {
      if (!action.workflow().placeholders().contains(field)) continue;
      chain = chain.compose(v -> stopIfCancelled()).compose(v -> attempt.vertx().executeBlocking(() -> {
            byte[] bytes = attempt.image(field);
            // The node's decoder names the format from the header, as it did when the image was uploaded.
            return bytes == null ? null : new Input(bytes, "png".equals(attempt.decoder().header(bytes).format()));
          }, false))
          .compose(in -> {
            if (in == null) return Future.succeededFuture();
            String name = "kiln-" + attempt.taskId() + "-" + attempt.attempt() + "-" + field + (in.png() ? ".png" : ".jpg");
            return client.upload(name, in.bytes(), in.png() ? "image/png" : "image/jpeg").map(uploaded -> {
              names.put(field, uploaded);
              return null;
            });
          });
    }
    return chain.map(v -> {
      if (!names.isEmpty()) attempt.progress(1, "input images uploaded to " + provider);
      return names;
    });
  }

  private Future<JsonObject> fill(Map<String, String> images) {
    try {
      return Future.succeededFuture(action.workflow().fill(attempt.input(), action.defaults(), images));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(new BadInput(e.getMessage()));
    }
  }

  /**
   * Opens the socket, posts the prompt and waits for its end. ComfyUI sends events only to sockets
   * open at the time, so the socket comes first.
   */
  private Future<Void> follow(JsonObject graph) {
    events = new PromptEvents(client, attempt, promptId, clientId, graph.size());
    attempt.cancellation().onSuccess(reason -> {
      // Before the POST answered, the prompt may not exist yet: the step after it stops it.
      if (submitted) stop(reason);
      else events.abandon(new Cancelled(reason));
    });
    return stopIfCancelled().compose(v -> events.open()).compose(v -> stopIfCancelled()).compose(v -> {
      attempt.providerJob(promptId);
      return client.submit(promptId, clientId, graph);
    }).compose(v -> {
      submitted = true;
      if (attempt.isCancelled()) return stop(attempt.cancellation().result());
      attempt.progress(2, "queued on " + provider + " as prompt " + promptId);
      return events.ended();
    });
  }

  /**
   * Stops the prompt where it is. The websocket says whether it started; until it says so, the
   * prompt is taken out of the queue and then interrupted as well (both calls name it, so neither
   * touches another prompt), since it may have started while the event was on its way.
   */
  private Future<Void> stop(String reason) {
    if (stopping != null) return stopping;
    boolean wasRunning = events.running();
    Future<Void> told = wasRunning ? client.interrupt(promptId)
        : client.deleteQueued(promptId).compose(v -> client.interrupt(promptId));
    attempt.log("comfyui: " + reason + ": prompt " + promptId + (wasRunning ? " interrupted" : " taken out of the queue") + "\n");
    stopping = told.otherwiseEmpty().compose(v -> {
      events.abandon(new Cancelled(reason));
      return Future.failedFuture(new Cancelled(reason));
    });
    return stopping;
  }

  /** The prompt's end as its history records it: a node's error, an interrupt, or the saved images. */
  private Future<Outcome> outputs(JsonObject history) {
    if (history == null) {
      return Future.failedFuture(ComfyFailure.unavailable(client.describe() + " has no history of prompt " + promptId
          + " after it ended: the server restarted or dropped it"));
    }
    JsonObject status = history.getJsonObject("status", new JsonObject());
    JsonObject error = events.error() != null ? events.error() : statusMessage(status, "execution_error");
    if (error != null) return Future.failedFuture(nodeError(error));
    if (events.interrupted() || statusMessage(status, "execution_interrupted") != null) {
      return Future.failedFuture(ComfyFailure.unavailable(client.describe() + " interrupted prompt " + promptId
          + " (not this attempt's cancel: another client or an operator)"));
    }
    List<JsonObject> saved = new ArrayList<>();
    JsonObject outs = history.getJsonObject("outputs", new JsonObject());
    for (String node : outs.fieldNames()) {
      for (Object o : outs.getJsonObject(node).getJsonArray("images", new JsonArray())) {
        JsonObject img = (JsonObject) o;
        // "temp" images are PreviewImage's: shown in ComfyUI's UI, not the task's outputs.
        if ("output".equals(img.getString("type"))) saved.add(img.copy().put("node", node));
      }
    }
    if (saved.isEmpty()) {
      return Future.failedFuture(ComfyFailure.nodeError("workflow " + action.workflow().name() + " saved no image (it needs a SaveImage node)", null));
    }
    JsonArray assets = new JsonArray();
    JsonArray images = new JsonArray();
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < saved.size(); i++) {
      JsonObject img = saved.get(i);
      String fileName = i == 0 ? "image.png" : "image-" + (i + 1) + ".png";
      chain = chain.compose(v -> client.view(img.getString("filename"), img.getString("subfolder", ""), "output"))
          .compose(bytes -> attempt.vertx().executeBlocking(() -> store(fileName, img.getString("filename"), bytes), false))
          .map(asset -> {
            assets.add(asset);
            images.add(new JsonObject().put("file_name", asset.getString("file_name")).put("node", img.getString("node"))
                .put("comfyui_filename", img.getString("filename")).put("width", asset.getInteger("width"))
                .put("height", asset.getInteger("height")).put("checksum", asset.getString("checksum")));
            return null;
          });
    }
    return chain.map(v -> {
      attempt.progress(100, "done");
      JsonObject first = images.getJsonObject(0);
      JsonObject result = new JsonObject().put("provider", provider).put("provider_type", "comfyui")
          .put("workflow", action.workflow().name()).put("prompt_id", promptId)
          .put("width", first.getInteger("width")).put("height", first.getInteger("height"))
          .put("checksum", first.getString("checksum")).put("images", images);
      return Outcome.success(result, assets);
    });
  }

  /** Blocking: the header judged (the node's limits) for the image's size, then the bytes stored. */
  private JsonObject store(String fileName, String comfyName, byte[] bytes) throws Exception {
    String lower = comfyName.toLowerCase();
    String mime = lower.endsWith(".png") ? "image/png" : lower.endsWith(".jpg") || lower.endsWith(".jpeg") ? "image/jpeg"
        : lower.endsWith(".webp") ? "image/webp" : "application/octet-stream";
    String name = mime.equals("image/png") ? fileName : fileName.replaceFirst("\\.png$", "") + extension(comfyName);
    Integer w = null;
    Integer h = null;
    if (mime.equals("image/png") || mime.equals("image/jpeg")) {
      BoundedImageDecoder.Header header = attempt.decoder().header(bytes);
      w = header.width();
      h = header.height();
    }
    JsonObject asset = attempt.output(name, mime, bytes, w, h);
    attempt.progress(OUTPUTS_PERCENT, "stored " + name);
    return asset;
  }

  private static String extension(String name) {
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot).toLowerCase();
  }

  private ComfyFailure nodeError(JsonObject e) {
    String message = "node " + e.getValue("node_id") + " (" + e.getString("node_type", "?") + "): "
        + e.getString("exception_type", "error") + ": " + e.getString("exception_message", "").trim();
    Object tb = e.getValue("traceback");
    String traceback = tb instanceof JsonArray lines ? String.join("", lines.stream().map(String::valueOf).toList())
        : tb == null ? null : String.valueOf(tb);
    return ComfyFailure.nodeError(ComfyClient.clip(message), traceback);
  }

  /** The data of the status message of this type ComfyUI kept in the history ({@code [type, data]} pairs), or null. */
  private static JsonObject statusMessage(JsonObject status, String type) {
    for (Object m : status.getJsonArray("messages", new JsonArray())) {
      if (m instanceof JsonArray pair && pair.size() == 2 && type.equals(pair.getValue(0)) && pair.getValue(1) instanceof JsonObject d) {
        return d;
      }
    }
    return null;
  }

  private Future<Void> stopIfCancelled() {
    return attempt.isCancelled() ? Future.failedFuture(new Cancelled(attempt.cancellation().result())) : Future.succeededFuture();
  }

  private Future<Outcome> classify(Throwable e) {
    if (e instanceof ComfyFailure f) return Future.succeededFuture(f.outcome());
    // Reported to no one (the dispatcher settled the attempt already), but the worker needs an outcome.
    if (e instanceof Cancelled || attempt.isCancelled()) return Future.succeededFuture(Outcome.retryable(ErrorCode.CANCELLED, "cancelled"));
    if (e instanceof BadInput) return Future.succeededFuture(Outcome.permanent(ErrorCode.BAD_INPUT, e.getMessage()));
    if (e instanceof NoSuchFileException) return Future.succeededFuture(Outcome.permanent(ErrorCode.BAD_INPUT, "an input image has gone: " + e.getMessage()));
    if (e instanceof BoundedImageDecoder.Rejected r && r.reason() == BoundedImageDecoder.Reason.TOO_LARGE) {
      return Future.succeededFuture(Outcome.permanent(ErrorCode.BAD_INPUT, "output: " + e.getMessage()));
    }
    return Future.succeededFuture(Outcome.crashed(ErrorCode.EXECUTOR_ERROR, e));
  }

  /** The task's input cannot fill the workflow. */
  private static final class BadInput extends RuntimeException {
    BadInput(String message) {
      super(message, null, false, false);
    }
  }

  /** The attempt was stopped (cancel, timeout, drain). */
  private static final class Cancelled extends RuntimeException {
    Cancelled(String reason) {
      super(reason, null, false, false);
    }
  }
}
