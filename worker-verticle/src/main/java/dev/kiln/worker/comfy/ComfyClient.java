package dev.kiln.worker.comfy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.multipart.MultipartForm;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * ComfyUI's HTTP and websocket API (as v0.3.64's server.py serves it), one server. Every call is
 * bounded by the provider's request timeout; a server that does not answer in time, refuses the
 * connection or answers an unexpected status fails the call with {@link ComfyFailure#unavailable}.
 */
final class ComfyClient {
  /**
   * Largest websocket frame and message accepted: a sampler's preview image is one binary frame,
   * far over Vert.x's 64 KiB default, and an oversized frame would close the socket mid-prompt.
   */
  static final int MAX_WS_MESSAGE_BYTES = 16 * 1024 * 1024;
  /** Longest error text kept from a refusal: node errors repeat per node and can run long. */
  static final int MAX_ERROR_CHARS = 2_000;

  private final String name;
  private final URI base;
  private final String prefix;
  private final long timeoutMs;
  private final WebClient web;
  private final WebSocketClient ws;

  ComfyClient(Vertx vertx, String name, URI base, long requestTimeoutMs) {
    this.name = name;
    this.base = base;
    String path = base.getRawPath() == null ? "" : base.getRawPath();
    this.prefix = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    this.timeoutMs = requestTimeoutMs;
    int connectMs = (int) Math.min(Integer.MAX_VALUE, requestTimeoutMs);
    this.web = WebClient.create(vertx, new WebClientOptions().setConnectTimeout(connectMs).setUserAgent("kiln-worker"));
    this.ws = vertx.createWebSocketClient(new WebSocketClientOptions().setConnectTimeout(connectMs)
        .setMaxFrameSize(MAX_WS_MESSAGE_BYTES).setMaxMessageSize(MAX_WS_MESSAGE_BYTES));
  }

  /** The provider's name and URL, as failures name the server. */
  String describe() {
    return name + " (" + base + ")";
  }

  /**
   * A websocket on {@code /ws?clientId=}, not yet connected: set its handlers, then
   * {@link #connect}. ComfyUI does not buffer events, so it must be open before the prompt is posted.
   */
  ClientWebSocket webSocket() {
    return ws.webSocket();
  }

  Future<Void> connect(ClientWebSocket socket, String clientId) {
    boolean tls = "https".equals(base.getScheme());
    int port = base.getPort() > 0 ? base.getPort() : tls ? 443 : 80;
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost(base.getHost()).setPort(port).setSsl(tls)
        .setURI(prefix + "/ws?clientId=" + enc(clientId)).setConnectTimeout(timeoutMs).setTimeout(timeoutMs);
    return socket.connect(o).<Void>mapEmpty().recover(e -> fail("websocket", e));
  }

  /** Stores an input image in ComfyUI's input folder; the name {@code LoadImage} takes for it. */
  Future<String> upload(String fileName, byte[] bytes, String mimeType) {
    MultipartForm form = MultipartForm.create().binaryFileUpload("image", fileName, Buffer.buffer(bytes), mimeType)
        .attribute("type", "input").attribute("overwrite", "true");
    return call("POST /upload/image", request(HttpMethod.POST, "/upload/image").sendMultipartForm(form), r -> {
      if (r.statusCode() != 200) throw unexpected("POST /upload/image", r);
      JsonObject j = r.bodyAsJsonObject();
      String sub = j.getString("subfolder", "");
      return sub.isEmpty() ? j.getString("name") : sub + "/" + j.getString("name");
    });
  }

  /**
   * Queues the prompt under the worker's own id. A 400 is ComfyUI's validation refusing the
   * graph: {@link ComfyFailure#rejected} with each failing node's message.
   */
  Future<Void> submit(String promptId, String clientId, JsonObject graph) {
    JsonObject body = new JsonObject().put("prompt", graph).put("prompt_id", promptId).put("client_id", clientId);
    return call("POST /prompt", request(HttpMethod.POST, "/prompt").sendJsonObject(body), r -> {
      if (r.statusCode() == 400) throw ComfyFailure.rejected(refusal(r));
      if (r.statusCode() != 200) throw unexpected("POST /prompt", r);
      return null;
    });
  }

  /** The prompt's history entry ({@code status}, {@code outputs}), or null when the server has none. */
  Future<JsonObject> history(String promptId) {
    return call("GET /history", request(HttpMethod.GET, "/history/" + enc(promptId)).send(), r -> {
      if (r.statusCode() != 200) throw unexpected("GET /history", r);
      return r.bodyAsJsonObject().getJsonObject(promptId);
    });
  }

  /** An output file's bytes, as {@code /view} serves what a node saved. */
  Future<byte[]> view(String fileName, String subfolder, String type) {
    String q = "/view?filename=" + enc(fileName) + "&subfolder=" + enc(subfolder) + "&type=" + enc(type);
    return call("GET /view", request(HttpMethod.GET, q).send(), r -> {
      if (r.statusCode() != 200) throw unexpected("GET " + q, r);
      return r.bodyAsBuffer().getBytes();
    });
  }

  /**
   * Stops this prompt if it is the one running. Always the targeted form: the bare
   * {@code /interrupt} stops whatever runs, which may be another task's prompt.
   */
  Future<Void> interrupt(String promptId) {
    return call("POST /interrupt", request(HttpMethod.POST, "/interrupt").sendJsonObject(new JsonObject().put("prompt_id", promptId)),
        r -> ok("POST /interrupt", r));
  }

  /** Takes this prompt out of the queue if it is still waiting there; a no-op otherwise. */
  Future<Void> deleteQueued(String promptId) {
    return call("POST /queue", request(HttpMethod.POST, "/queue").sendJsonObject(new JsonObject().put("delete", List.of(promptId))),
        r -> ok("POST /queue", r));
  }

  /** Succeeds when {@code /system_stats} answers 200 within the request timeout. */
  Future<Void> systemStats() {
    return call("GET /system_stats", request(HttpMethod.GET, "/system_stats").send(), r -> ok("GET /system_stats", r));
  }

  Future<Void> close() {
    web.close();
    return ws.close();
  }

  private HttpRequest<Buffer> request(HttpMethod method, String pathAndQuery) {
    return web.requestAbs(method, base.getScheme() + "://" + base.getRawAuthority() + prefix + pathAndQuery).timeout(timeoutMs);
  }

  private <T> Future<T> call(String what, Future<HttpResponse<Buffer>> sent, Function<HttpResponse<Buffer>, T> read) {
    return sent.recover(e -> fail(what, e)).map(r -> {
      try {
        return read.apply(r);
      } catch (ComfyFailure f) {
        throw f;
      } catch (RuntimeException e) { // a body that is not the JSON ComfyUI sends
        throw ComfyFailure.unavailable(describe() + " " + what + ": unreadable answer: " + e.getMessage());
      }
    });
  }

  private <T> Future<T> fail(String what, Throwable e) {
    if (e instanceof ComfyFailure) return Future.failedFuture(e);
    return Future.failedFuture(ComfyFailure.unavailable(describe() + " " + what + ": " + e));
  }

  private Void ok(String what, HttpResponse<Buffer> r) {
    if (r.statusCode() != 200) throw unexpected(what, r);
    return null;
  }

  private ComfyFailure unexpected(String what, HttpResponse<Buffer> r) {
    String body = r.bodyAsString();
    return ComfyFailure.unavailable(describe() + " " + what + " answered " + r.statusCode()
        + (body == null || body.isBlank() ? "" : ": " + clip(body)));
  }

  /** ComfyUI's refusal as one line: each node's errors, else the prompt's own error. */
  static String refusal(HttpResponse<Buffer> r) {
    JsonObject j;
    try {
      j = r.bodyAsJsonObject();
    } catch (RuntimeException e) {
      return clip("ComfyUI refused the prompt: " + r.bodyAsString());
    }
    List<String> parts = new ArrayList<>();
    JsonObject nodes = j.getJsonObject("node_errors", new JsonObject());
    for (String node : nodes.fieldNames()) {
      JsonObject n = nodes.getJsonObject(node);
      for (Object o : n.getJsonArray("errors", new io.vertx.core.json.JsonArray())) {
        parts.add("node " + node + " (" + n.getString("class_type", "?") + "): " + message((JsonObject) o));
      }
    }
    if (parts.isEmpty() && j.getValue("error") instanceof JsonObject e) parts.add(message(e));
    return clip(parts.isEmpty() ? "ComfyUI refused the prompt: " + j.encode() : String.join("; ", parts));
  }

  private static String message(JsonObject e) {
    String m = e.getString("message", "");
    String d = e.getString("details", "");
    return d.isEmpty() ? m : m + ": " + d;
  }

  static String clip(String s) {
    return s.length() <= MAX_ERROR_CHARS ? s : s.substring(0, MAX_ERROR_CHARS) + "...";
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
