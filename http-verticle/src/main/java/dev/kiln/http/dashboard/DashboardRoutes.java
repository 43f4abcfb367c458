package dev.kiln.http.dashboard;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The dashboard at {@code /}: the single-page app Vite built into the kiln-dashboard jar
 * ({@code dashboard/} on the classpath). Static and public: every call it makes to the API carries
 * the caller's own credentials. Mounted after the API, so {@code /api/v1/*} never reaches it; a
 * path it does not hold falls through to the router's 404 problem+json.
 */
public final class DashboardRoutes {
  /** The classpath folder the kiln-dashboard jar carries. */
  public static final String WEB_ROOT = "dashboard";
  /** Vite names every file under assets/ by its content's hash, so a year is safe. */
  static final String IMMUTABLE = "public, max-age=31536000, immutable";
  /** index.html names the current hashes: revalidated on every load, so a new jar shows at once. */
  static final String REVALIDATE = "no-cache";
  /**
   * The page holds the caller's key in sessionStorage, so it runs only its own files: no inline or
   * outside script, no framing (drain and pause buttons). Images and models come from this origin
   * (signed URLs; absolute ones on KILN_PUBLIC_URL's origin when it is set, which may be another
   * host behind the proxy), or as blob:/data: URLs the glTF loader makes from a model's embedded
   * textures.
   */
  static String contentSecurityPolicy(String publicOrigin) {
    String assets = publicOrigin == null ? "'self'" : "'self' " + publicOrigin;
    return "default-src 'self'; script-src 'self'; style-src 'self'; "
        + "img-src " + assets + " blob: data:; connect-src " + assets + " blob: data:; object-src 'none'; base-uri 'none'; "
        + "form-action 'self'; frame-ancestors 'none'";
  }

  private DashboardRoutes() {}

  /**
   * GET and HEAD only; the route has no method of its own, so the API contract test (which lists
   * routes by method) does not take {@code /} for an undocumented API route.
   *
   * @param publicOrigin KILN_PUBLIC_URL's origin, or null
   */
  public static void mount(Router router, String publicOrigin) {
    StaticHandler files = StaticHandler.create(WEB_ROOT).setCachingEnabled(false).setDirectoryListing(false)
        .setIndexPage("index.html");
    String csp = contentSecurityPolicy(publicOrigin);
    router.route().handler(ctx -> cacheHeaders(ctx, csp)).handler(files);
  }

  private static void cacheHeaders(RoutingContext ctx, String csp) {
    boolean hashed = ctx.normalizedPath().startsWith("/assets/");
    ctx.addHeadersEndHandler(v -> {
      if (ctx.response().getStatusCode() == 200 || ctx.response().getStatusCode() == 304) {
        ctx.response().putHeader(HttpHeaders.CACHE_CONTROL, hashed ? IMMUTABLE : REVALIDATE)
            .putHeader("Content-Security-Policy", csp)
            .putHeader("X-Content-Type-Options", "nosniff");
      }
    });
    ctx.next();
  }
}
