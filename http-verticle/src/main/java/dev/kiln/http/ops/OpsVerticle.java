package dev.kiln.http.ops;

import dev.kiln.http.api.Problems;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.ext.web.Router;

/** On a node without the HTTP role: health, readiness and metrics only, on the HTTP port. */
public final class OpsVerticle extends VerticleBase {
  private final int port;

  public OpsVerticle(int port) {
    this.port = port;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    new OpsRoutes(vertx, null, null).mount(router);
    router.route().last().handler(ctx -> Problems.send(ctx, 404, "not_found", "this node serves only /health, /ready and /metrics"));
    return vertx.createHttpServer().requestHandler(router).listen(port);
  }
}
