package dev.kiln.worker.cog;

import dev.kiln.worker.providers.ProvidersFile;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The HTTP calls to one Cog-style server: the idempotent {@code PUT /predictions/{id}}, its
 * {@code /cancel}, {@code GET /health-check}, and the fetch of an output URL. Every answer's body
 * is read up to {@link #MAX_ANSWER_BYTES}; none is parsed here, so no JSON of megabytes is
 * decoded on the event loop.
 */
final class CogClient {
  /**
   * The most an answer may carry: a prediction with its outputs as base64 data: URIs (a third
   * over their size), or one fetched output. Beyond it the server counts as broken, not the task.
   */
  static final long MAX_ANSWER_BYTES = 256L * 1024 * 1024;
  /** Connections beyond the provider's slots: its health checks, cancels and output fetches. */
  static final int SPARE_CONNECTIONS = 2;

  /** An HTTP answer: its status, its Content-Type (or null) and its whole body. */
  record Answer(int status, String contentType, Buffer body) {
    JsonObject json() {
      return new JsonObject(body);
    }

    /** The start of the body, for an error message. */
    String snippet() {
      String s = body.toString(StandardCharsets.UTF_8);
      return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
  }

  private final ProvidersFile.ProviderSpec spec;
  private final String base;
  private final HttpClientAgent http;

  CogClient(ProvidersFile.ProviderSpec spec, Vertx vertx) {
    this.spec = spec;
    String url = spec.url().toString();
    this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.http = vertx.createHttpClient(
        new HttpClientOptions().setConnectTimeout((int) spec.requestTimeoutMs()).setTcpKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(spec.slots() + SPARE_CONNECTIONS));
  }

  /**
   * Creates or joins prediction {@code id}. Held open until the prediction ends (no idle timeout:
   * a model runs as long as the task's own timeout lets it); {@code sent} gets the request, so a
   * cancel can let go of it.
   */
  Future<Answer> put(String id, Buffer body, Consumer<HttpClientRequest> sent) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.PUT).setAbsoluteURI(predictionUrl(id))
        .setIdleTimeout(0).putHeader(HttpHeaders.CONTENT_TYPE, "application/json; charset=utf-8")
        .putHeader(HttpHeaders.ACCEPT, "application/json");
    return http.request(o).compose(req -> {
      sent.accept(req);
      return req.send(body);
    }).compose(CogClient::answer);
  }

  /** Asks the server to stop prediction {@code id}; answers the HTTP status (404: it has no such prediction running). */
  Future<Integer> cancel(String id) {
    return call(HttpMethod.POST, predictionUrl(id) + "/cancel").map(Answer::status);
  }

  /** {@code GET /health-check}: 200 with {@code {"status": "READY" | "BUSY" | "STARTING" | "SETUP_FAILED" | ...}}. */
  Future<Answer> healthCheck() {
    return call(HttpMethod.GET, base + "/health-check");
  }

  /** Fetches an output the server returned as a URL. */
  Future<Answer> fetch(String url) {
    return call(HttpMethod.GET, url);
  }

  Future<Void> close() {
    return http.close();
  }

  /** A short call: answered within the provider's {@code timeout_ms} or failed. */
  private Future<Answer> call(HttpMethod method, String url) {
    RequestOptions o = new RequestOptions().setMethod(method).setAbsoluteURI(url).setIdleTimeout(spec.requestTimeoutMs());
    return http.request(o).compose(HttpClientRequest::send).compose(CogClient::answer);
  }

  private String predictionUrl(String id) {
    return base + "/predictions/" + URLEncoder.encode(id, StandardCharsets.UTF_8);
  }

  private static Future<Answer> answer(HttpClientResponse resp) {
    Promise<Answer> done = Promise.promise();
    String length = resp.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null && length.matches("\\d{1,18}") && Long.parseLong(length) > MAX_ANSWER_BYTES) {
      resp.request().reset();
      return Future.failedFuture(tooLarge());
    }
    Buffer body = Buffer.buffer();
    resp.handler(chunk -> {
      if (body.length() + (long) chunk.length() > MAX_ANSWER_BYTES) {
        resp.request().reset();
        done.tryFail(tooLarge());
      } else {
        body.appendBuffer(chunk);
      }
    });
    resp.exceptionHandler(done::tryFail);
    resp.endHandler(v -> done.tryComplete(new Answer(resp.statusCode(), resp.getHeader(HttpHeaders.CONTENT_TYPE), body)));
    return done.future();
  }

  private static CogError tooLarge() {
    return CogError.unavailable("answered more than " + MAX_ANSWER_BYTES + " bytes");
  }
}
