package dev.kiln.http.server;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import java.util.List;
import java.util.Set;

/**
 * CORS for {@code /api/v1/*} (KILN_CORS_ORIGINS): a page on a listed origin may call the API
 * with a key or token, and its preflights are answered before authentication. vertx-web's
 * {@link CorsHandler} speaks the protocol; this only decides who reaches it. An origin not on the
 * list is not refused here (CorsHandler would answer 403): it gets no {@code Access-Control-*}
 * header, so its browser keeps the answer from the page, while same-origin pages (the
 * dashboard, whose POSTs carry an Origin too) and non-browser clients go on as before.
 */
public final class Cors {
  /** How long a browser may reuse a preflight's answer (Chromium caps it at 2 h, Firefox at 24 h). */
  public static final int DEFAULT_MAX_AGE_SECONDS = 600;
  /** Every method some /api/v1 route takes. */
  static final Set<HttpMethod> METHODS = Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE);
  /** The request headers the API reads. */
  static final Set<String> REQUEST_HEADERS =
      Set.of("X-Auth-Key", "X-User-Id", "Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID");
  /** The response headers beyond the CORS-safelisted ones that a client acts on. */
  static final Set<String> EXPOSED_HEADERS = Set.of("Location", "Retry-After", "Idempotent-Replayed", "Content-Disposition");

  private final Set<String> origins;
  private final CorsHandler handler;

  /** {@code origins}: exact origins as a browser sends them (BrowserAccess normalises them). */
  public Cors(List<String> origins) {
    this.origins = Set.copyOf(origins);
    this.handler = CorsHandler.create().addOrigins(origins).allowedMethods(METHODS).allowedHeaders(REQUEST_HEADERS)
        .exposedHeaders(EXPOSED_HEADERS).maxAgeSeconds(DEFAULT_MAX_AGE_SECONDS);
  }

  /** On the root router, before the API's sub-router: a preflight never reaches authentication. */
  public void mount(Router root) {
    root.route("/api/v1/*").handler(this::handle);
  }

  private void handle(RoutingContext ctx) {
    // Answers differ by Origin, so a shared cache must keep them apart.
    ctx.response().headers().add(HttpHeaders.VARY, "Origin");
    String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
    boolean preflight = ctx.request().method() == HttpMethod.OPTIONS && origin != null
        && ctx.request().getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD) != null;
    if (origin != null && origins.contains(origin)) {
      handler.handle(ctx); // a preflight is answered 204 there; anything else goes on with the CORS headers
    } else if (preflight) {
      ctx.response().setStatusCode(204).end(); // nothing allowed: the browser stops here
    } else {
      ctx.next();
    }
  }
}
