package dev.kiln.http.api;

import dev.kiln.common.db.Outages;
import dev.kiln.task.store.InsufficientCredits;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place a failure becomes an RFC 9457 {@code application/problem+json} answer. */
public final class Problems {
  private static final Logger LOG = LoggerFactory.getLogger(Problems.class);
  public static final String CONTENT_TYPE = "application/problem+json";
  /** Seconds a client should wait when a store is away. */
  public static final String RETRY_AFTER_SECONDS = "2";

  private Problems() {}

  public static void send(RoutingContext ctx, int status, String code, String detail) {
    HttpServerResponse res = ctx.response();
    if (res.headWritten()) {
      res.reset();
      return;
    }
    if (status == 503) res.putHeader("Retry-After", RETRY_AFTER_SECONDS);
    // A problem is about this moment (a file gone, a store away): no cache may keep it, whatever
    // the route set before it failed (a signed URL's max-age, say).
    res.putHeader("Cache-Control", "no-store");
    res.setStatusCode(status).putHeader("Content-Type", CONTENT_TYPE)
        .end(body(status, code, detail).put("instance", ctx.request().path()).encode());
  }

  /**
   * Server invalid-request handler: what Netty could not decode (request line or headers too
   * long, bad syntax) never reaches a router, and Vert.x's default answers with an empty body.
   */
  public static void invalidRequest(HttpServerRequest req) {
    Throwable cause = req.decoderResult().cause();
    int status = cause instanceof TooLongHttpLineException ? 414 : cause instanceof TooLongHttpHeaderException ? 431 : 400;
    JsonObject body = switch (status) {
      case 414 -> body(414, "uri_too_long", "the request line is too long");
      case 431 -> body(431, "headers_too_large", "the request headers are too large");
      default -> body(400, "bad_request", "the request could not be parsed");
    };
    // Like the default: what is left of the request on the connection cannot be trusted.
    req.response().setStatusCode(status).putHeader("Content-Type", CONTENT_TYPE).putHeader("Connection", "close")
        .end(body.encode()).onComplete(v -> req.connection().close());
  }

  /** A problem's JSON, for an answer written below the router (the connection guard's 408). */
  public static String json(int status, String code, String detail, String instance) {
    return body(status, code, detail).put("instance", instance).encode();
  }

  private static JsonObject body(int status, String code, String detail) {
    return new JsonObject()
        .put("type", "https://kiln.dev/problems/" + code.replace('_', '-'))
        .put("title", title(status))
        .put("status", status)
        .put("detail", detail)
        .put("code", code);
  }

  private static final long LOG_EVERY_MS = 10_000;
  private static final AtomicLong MALFORMED_SINCE_LOG = new AtomicLong();
  private static final AtomicLong LAST_MALFORMED_LOG_MS = new AtomicLong();

  /**
   * Logs a request whose framing or body Netty could not decode: a client's fault, not ours, so
   * one WARN line at most every {@link #LOG_EVERY_MS}, with how many came since the last (a flood
   * of them must not flood the log).
   */
  public static void logMalformed(String method, String path, String why) {
    long now = System.currentTimeMillis();
    long suppressed = MALFORMED_SINCE_LOG.incrementAndGet();
    long last = LAST_MALFORMED_LOG_MS.get();
    if (now - last >= LOG_EVERY_MS && LAST_MALFORMED_LOG_MS.compareAndSet(last, now)) {
      MALFORMED_SINCE_LOG.set(0);
      LOG.warn("Malformed request body on {} {}: {} ({} such requests since the last line)", method, path, why, suppressed);
    }
  }

  /** A body that Netty's HTTP decoder refused (a bad chunk size, say): thrown from its codec package. */
  static boolean malformedBody(Throwable f) {
    if (f instanceof io.netty.handler.codec.DecoderException) return true;
    StackTraceElement[] at = f.getStackTrace();
    return at.length > 0 && at[0].getClassName().startsWith("io.netty.handler.codec.")
        || at.length > 1 && at[1].getClassName().startsWith("io.netty.handler.codec.");
  }

  /** Route failure handler: typed failures as they are, store outages as 503, the rest 500. */
  public static void handle(RoutingContext ctx) {
    handle(ctx, 500);
  }

  /**
   * Router error handler for {@code status}: the router does not always put that status in the
   * context (a path it cannot decode, e.g. {@code %zz}, arrives as -1 with no failure).
   */
  public static void handle(RoutingContext ctx, int status) {
    Throwable f = ctx.failure();
    if (f instanceof ApiException e) {
      if (e.retryAfterSeconds() > 0 && !ctx.response().headWritten()) {
        ctx.response().putHeader("Retry-After", String.valueOf(e.retryAfterSeconds()));
      }
      send(ctx, e.status(), e.code(), e.getMessage());
    } else if (f == null) {
      int s = ctx.statusCode() > 0 ? ctx.statusCode() : status;
      switch (s) {
        case 404 -> send(ctx, 404, "not_found", "no such route");
        case 405 -> send(ctx, 405, "method_not_allowed", "method not allowed on this route");
        case 413 -> send(ctx, 413, "payload_too_large", "request body too large");
        case 415 -> send(ctx, 415, "unsupported_media_type", "send application/json");
        case 400 -> send(ctx, 400, "bad_request", "bad request");
        default -> send(ctx, s >= 400 ? s : 500, s >= 500 || s < 400 ? "internal_error" : "bad_request", "request failed");
      }
    } else if (f instanceof InsufficientCredits broke) {
      send(ctx, 402, "insufficient_credits", broke.getMessage());
    } else if (Outages.isOutage(f)) {
      send(ctx, 503, "service_unavailable", "a store is unavailable, retry shortly");
    } else if (f instanceof PgException pg) {
      LOG.error("SQL error on {} {}: {}", ctx.request().method(), ctx.request().path(), pg.getMessage());
      send(ctx, 500, "internal_error", "internal error");
    } else if (malformedBody(f)) {
      // Mostly answered by the connection guard before a route sees it; this is the rest.
      logMalformed(ctx.request().method().name(), ctx.request().path(), f.getMessage());
      if (!ctx.response().headWritten()) ctx.response().putHeader("Connection", "close");
      send(ctx, 400, "malformed_body", "the request body could not be decoded: " + f.getMessage());
    } else if (f instanceof io.vertx.core.http.HttpClosedException) {
      // The connection closed under the request (its client left, or a body timeout's 408): nobody to answer.
      LOG.debug("Connection closed during {} {}", ctx.request().method(), ctx.request().path());
    } else if (f instanceof io.vertx.ext.web.handler.HttpException h && h.getStatusCode() == 400) {
      send(ctx, 400, "bad_request", "the request could not be parsed"); // e.g. a query string that does not decode (%zz)
    } else {
      LOG.error("Unhandled failure on {} {}", ctx.request().method(), ctx.request().path(), f);
      send(ctx, 500, "internal_error", "internal error");
    }
  }

  private static String title(int status) {
    return switch (status) {
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 402 -> "Payment Required";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 408 -> "Request Timeout";
      case 409 -> "Conflict";
      case 413 -> "Content Too Large";
      case 414 -> "URI Too Long";
      case 415 -> "Unsupported Media Type";
      case 422 -> "Unprocessable Content";
      case 429 -> "Too Many Requests";
      case 431 -> "Request Header Fields Too Large";
      case 503 -> "Service Unavailable";
      default -> "Internal Server Error";
    };
  }
}
