package dev.kiln.http.server;

import dev.kiln.common.config.HttpLimits;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.shareddata.Shareable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The HTTP server every Kiln node listens with (the API, or the ops routes alone), under its {@link HttpLimits}. */
public final class HttpServers {
  private HttpServers() {}

  /** The node's count of open connections, one for all its server instances (they share the port). */
  private record Open(AtomicInteger count) implements Shareable {}

  public static HttpServer create(Vertx vertx, HttpLimits limits) {
    AtomicInteger open = vertx.sharedData().<String, Open>getLocalMap("kiln.http")
        .computeIfAbsent("connections", k -> new Open(new AtomicInteger())).count();
    return vertx.createHttpServer(new HttpServerOptions()
            .setCompressionSupported(false)
            // HTTP/1.1 only: the connection guard watches HTTP/1, and h2c would step around it.
            .setHttp2ClearTextEnabled(false)
            .setIdleTimeout(limits.idleTimeoutMs()).setIdleTimeoutUnit(TimeUnit.MILLISECONDS))
        .connectionHandler(conn -> ConnectionGuard.install(conn, limits, open));
  }
}
