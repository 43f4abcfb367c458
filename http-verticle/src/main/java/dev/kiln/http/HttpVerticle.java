package dev.kiln.http;

import dev.kiln.common.config.KilnConfig;
import dev.kiln.common.db.Db;
import dev.kiln.common.redis.Hot;
import dev.kiln.http.admin.AdminRoutes;
import dev.kiln.http.admin.ClientAdminRoutes;
import dev.kiln.http.api.Problems;
import dev.kiln.http.auth.ApiKeyAuth;
import dev.kiln.http.batches.BatchRoutes;
import dev.kiln.http.wallet.WalletRoutes;
import dev.kiln.http.auth.RateLimits;
import dev.kiln.http.ops.OpsRoutes;
import dev.kiln.http.sse.TaskEventStreams;
import dev.kiln.http.tasks.TaskActionRoutes;
import dev.kiln.http.tasks.TaskRoutes;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.sqlclient.Pool;

/** The HTTP role: the REST API under {@code /api/v1}, SSE, auth, and the ops routes. */
public final class HttpVerticle extends VerticleBase {
  /** Request bodies above this are refused with 413 before they are read whole. */
  public static final long DEFAULT_BODY_LIMIT = 1024 * 1024;

  private final KilnConfig config;

  public HttpVerticle(KilnConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    Pool pool = Db.pool(vertx, config.databaseUrl());
    Hot hot = new Hot(vertx, config.redisUrl());
    TaskRoutes tasks = new TaskRoutes(vertx, pool, hot, config.debugExecutors(), config.assetDir(), config::price);
    TaskEventStreams streams = new TaskEventStreams(vertx, pool, tasks);

    Router router = Router.router(vertx);
    new OpsRoutes(vertx, pool, hot).mount(router);

    Router api = Router.router(vertx);
    api.route().handler(BodyHandler.create(false).setBodyLimit(DEFAULT_BODY_LIMIT));
    api.route().handler(new ApiKeyAuth(vertx, pool, config.adminKey(), config.apiKeys())::handle);
    api.route().handler(new RateLimits(hot, config.rateLimitClient(), config.rateLimitUser())::handle);
    api.route("/admin/*").handler(AdminRoutes::adminOnly);
    tasks.mount(api);
    TaskActionRoutes actions = new TaskActionRoutes(vertx, pool, tasks);
    actions.mount(api);
    new BatchRoutes(vertx, pool, actions, config.price("image.generate")).mount(api);
    new WalletRoutes(pool).mount(api);
    new AdminRoutes(vertx, pool).mount(api);
    new ClientAdminRoutes(vertx, pool).mount(api);
    streams.mount(api);
    api.route().failureHandler(Problems::handle);
    router.route("/api/v1/*").subRouter(api);

    router.route().failureHandler(Problems::handle);
    for (int status : new int[] {400, 404, 405, 413, 415, 500}) {
      router.errorHandler(status, ctx -> Problems.handle(ctx, status));
    }
    return streams.start().compose(v -> vertx.createHttpServer(new HttpServerOptions()
            .setCompressionSupported(false).setIdleTimeout(0))
        .requestHandler(router)
        .invalidRequestHandler(Problems::invalidRequest)
        .listen(config.httpPort()));
  }
}
