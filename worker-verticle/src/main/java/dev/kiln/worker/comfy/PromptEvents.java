package dev.kiln.worker.comfy;

import dev.kiln.worker.executor.Attempt;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * One prompt as ComfyUI's websocket tells it, on a socket of its own ({@code clientId} is the
 * attempt's): {@code execution_start} (it left the queue), {@code executing} per node,
 * {@code progress} within a node, {@code execution_error}, and {@code executing} with
 * {@code node: null} once its history is written. Only messages naming this prompt count:
 * {@code execution_interrupted} and {@code status} are broadcast to every socket.
 */
final class PromptEvents {
  /** Progress before the first node runs, and the share the nodes get: the rest is fetching outputs. */
  static final int STARTED_PERCENT = 5;
  static final int NODES_PERCENT = 85;

  private final ComfyClient client;
  private final Attempt attempt;
  private final String promptId;
  private final String clientId;
  private final int nodes;
  private final Promise<Void> ended = Promise.promise();
  private ClientWebSocket socket;
  private boolean connected;
  private boolean running;
  private int cached;
  private int executing;
  private JsonObject error;
  private boolean interrupted;

  PromptEvents(ComfyClient client, Attempt attempt, String promptId, String clientId, int nodes) {
    this.client = client;
    this.attempt = attempt;
    this.promptId = promptId;
    this.clientId = clientId;
    this.nodes = Math.max(1, nodes);
  }

  /** Connects; handlers are set first, so no message between the handshake and them is lost. */
  Future<Void> open() {
    socket = client.webSocket();
    socket.textMessageHandler(this::onText);
    socket.binaryMessageHandler(b -> {}); // preview images: not kept
    socket.exceptionHandler(e -> ended.tryFail(ComfyFailure.unavailable(client.describe() + " websocket: " + e)));
    socket.closeHandler(v -> ended.tryFail(ComfyFailure.unavailable(client.describe() + " closed the websocket before prompt "
        + promptId + " finished")));
    return client.connect(socket, clientId).onSuccess(v -> connected = true);
  }

  /** Completes once the prompt's history is written (it ran, failed or was interrupted); fails if the socket goes first. */
  Future<Void> ended() {
    return ended.future();
  }

  /** Fails {@link #ended()} with this, unless it already ended: the attempt stops waiting. */
  void abandon(Throwable why) {
    ended.tryFail(why);
  }

  /** True once ComfyUI took the prompt out of its queue and started it. */
  boolean running() {
    return running;
  }

  /** The {@code execution_error} this prompt sent, or null. */
  JsonObject error() {
    return error;
  }

  /** True when the server said this prompt was interrupted. */
  boolean interrupted() {
    return interrupted;
  }

  /**
   * Closes the socket if it ever connected. Never throws: a socket that never connected throws
   * on {@code isClosed()}, and a supplier that throws in {@code Future.eventually} turns the
   * attempt's outcome into a null success (Vert.x 5.0.10).
   */
  Future<Void> close() {
    if (!connected) return Future.succeededFuture();
    try {
      return socket.isClosed() ? Future.succeededFuture() : socket.close().otherwiseEmpty();
    } catch (RuntimeException e) {
      return Future.succeededFuture();
    }
  }

  private void onText(String text) {
    JsonObject msg;
    try {
      msg = new JsonObject(text);
    } catch (RuntimeException e) {
      return; // not ComfyUI's JSON: nothing of ours
    }
    JsonObject data = msg.getValue("data") instanceof JsonObject d ? d : new JsonObject();
    if (!promptId.equals(data.getValue("prompt_id"))) return;
    switch (String.valueOf(msg.getValue("type"))) {
      case "execution_start" -> {
        running = true;
        attempt.progress(STARTED_PERCENT, "started on " + client.describe());
      }
      case "execution_cached" -> cached = data.getJsonArray("nodes", new JsonArray()).size();
      case "executing" -> {
        running = true;
        Object node = data.getValue("node");
        if (node == null) {
          ended.tryComplete();
        } else {
          executing++;
          attempt.progress(percent(0), "node " + node);
        }
      }
      case "progress" -> {
        Number value = data.getNumber("value");
        Number max = data.getNumber("max");
        if (value != null && max != null && max.doubleValue() > 0) {
          attempt.progress(percent(value.doubleValue() / max.doubleValue()), "node " + data.getValue("node") + ": "
              + value + "/" + max);
        }
      }
      case "execution_error" -> error = data;
      case "execution_interrupted" -> interrupted = true;
      default -> { }
    }
  }

  /** Share of the nodes done, the running one counting {@code within} (0..1) of itself. */
  private int percent(double within) {
    int toRun = Math.max(1, nodes - cached);
    double done = Math.min(toRun, Math.max(0, executing - 1) + Math.min(1, within));
    return STARTED_PERCENT + (int) (NODES_PERCENT * done / toRun);
  }
}
