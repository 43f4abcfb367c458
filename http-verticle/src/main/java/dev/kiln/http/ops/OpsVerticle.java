package dev.kiln.http.ops;

import dev.kiln.common.config.HttpLimits;
import dev.kiln.http.api.Problems;
import dev.kiln.http.server.HttpServers;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.ext.web.Router;

/** On a node without the HTTP role: health, readiness and metrics only, on the HTTP port. */
public final class OpsVerticle extends VerticleBase {
  private final int port;
  private final String host;
  private final HttpLimits limits;

  public OpsVerticle(int port, String host, HttpLimits limits) {
    this.port = port;
    this.host = host;
    this.limits = limits;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    new OpsRoutes(vertx, null, null).mount(router);
    router.route().last().handler(ctx -> Problems.send(ctx, 404, "not_found", "this node serves only /health, /ready and /metrics"));
    return HttpServers.create(vertx, limits).requestHandler(router).listen(port, host);
  }
}
