package dev.kiln.http.ops;

import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.common.redis.Hot;
import dev.kiln.http.models.ModelMetrics;
import dev.kiln.task.TaskStatus;
import dev.kiln.task.store.QueueConfig;
import dev.kiln.task.store.QueueConfigs;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.sqlclient.Pool;

/**
 * What every node serves, whatever its roles: {@code /health} (the process is up),
 * {@code /ready} (its stores and cluster answer) and {@code /metrics} (Prometheus text).
 */
public final class OpsRoutes {
  private final Vertx vertx;
  private final Pool pool; // null on a node that does not use Postgres (a GPU worker)
  private final Hot hot;   // likewise for Redis

  public OpsRoutes(Vertx vertx, Pool pool, Hot hot) {
    this.vertx = vertx;
    this.pool = pool;
    this.hot = hot;
  }

  public void mount(Router router) {
    router.get("/health").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/ready").handler(this::ready);
    router.get("/metrics").handler(PrometheusScrapingHandler.create(KilnMetrics.registry()));
    if (pool != null) zeroSeries();
  }

  /**
   * The HTTP role counts submissions, cancels and models: their series start at zero for every
   * queue of queue_configs (each instance asks; registering twice is a map hit) and every format.
   */
  private void zeroSeries() {
    ModelMetrics.register();
    new QueueConfigs(pool).all().onSuccess(all -> KilnMetrics.queues(all.stream().map(QueueConfig::queue).toList(),
        TaskStatus.ENDED.stream().map(TaskStatus::value).toList()));
  }

  private void ready(RoutingContext ctx) {
    Future<String> pg = pool == null ? Future.succeededFuture("not used")
        : pool.query("SELECT 1").execute().map("UP");
    Future<String> redis = hot == null ? Future.succeededFuture("not used") : hot.ping().map("UP");
    String cluster = !vertx.isClustered() ? "not clustered"
        : ((VertxInternal) vertx).clusterManager().isActive() ? "UP" : "DOWN";
    Future.join(pg, redis).onComplete(ar -> {
      JsonObject checks = new JsonObject()
          .put("postgres", pg.succeeded() ? pg.result() : "DOWN: " + pg.cause().getMessage())
          .put("redis", redis.succeeded() ? redis.result() : "DOWN: " + redis.cause().getMessage())
          .put("cluster", cluster);
      boolean up = pg.succeeded() && redis.succeeded() && !"DOWN".equals(cluster);
      if (!up) ctx.response().putHeader("Retry-After", "2");
      json(ctx, up ? 200 : 503, new JsonObject().put("status", up ? "UP" : "DOWN").put("checks", checks));
    });
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
