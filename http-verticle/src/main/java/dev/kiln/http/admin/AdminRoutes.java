package dev.kiln.http.admin;

import dev.kiln.common.bus.Addresses;
import dev.kiln.common.time.Iso;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Json;
import dev.kiln.http.auth.Caller;
import dev.kiln.task.TaskJson;
import dev.kiln.task.store.QueueConfigs;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Set;

/**
 * {@code /api/v1/admin}: queue configuration (takes effect cluster-wide within a second) and
 * the workers, with drain. Admin clients only.
 */
public final class AdminRoutes {
  static final Set<String> QUEUE_FIELDS = Set.of("max_concurrency", "job_timeout", "max_retries", "retry_delay_base",
      "retry_delay_max", "enable_priority", "is_active");
  /** Bounds an admin may set; wider values are refused with 422. */
  static final int MAX_CONCURRENCY_LIMIT = 100_000;
  static final int JOB_TIMEOUT_MIN = 100;
  static final int JOB_TIMEOUT_MAX = 7 * 24 * 3_600_000;
  static final int MAX_RETRIES_LIMIT = 100;
  static final int RETRY_DELAY_MAX = 24 * 3_600_000;
  static final long DRAIN_TIMEOUT_MILLIS = 3_000;

  private final Vertx vertx;
  private final Pool pool;
  private final QueueConfigs queues;

  public AdminRoutes(Vertx vertx, Pool pool, QueueConfigs queues) {
    this.vertx = vertx;
    this.pool = pool;
    this.queues = queues;
  }

  public void mount(Router api) {
    api.get("/admin/queues").handler(this::queues);
    api.get("/admin/queues/:name").handler(this::queue);
    api.put("/admin/queues/:name").handler(this::updateQueue);
    api.get("/admin/workers").handler(this::workers);
    api.post("/admin/workers/:id/drain").handler(this::drain);
  }

  /** Guards every {@code /admin/*} route, whichever class mounts it; mounted before them all. */
  public static void adminOnly(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    if (!caller.admin()) throw new ApiException(403, "forbidden", "the admin API is for admin clients");
    ctx.next();
  }

  private void queues(RoutingContext ctx) {
    queues.list().onSuccess(items -> Json.send(ctx, 200, new JsonObject().put("items", new JsonArray(new ArrayList<>(items)))))
        .onFailure(ctx::fail);
  }

  private void queue(RoutingContext ctx) {
    findQueue(ctx.pathParam("name")).onSuccess(q -> Json.send(ctx, 200, q)).onFailure(ctx::fail);
  }

  private Future<JsonObject> findQueue(String name) {
    if (name.indexOf('\0') >= 0) return Future.failedFuture(ApiException.notFound("queue")); // no text column holds U+0000
    return queues.get(name).compose(q -> q == null ? Future.failedFuture(ApiException.notFound("queue")) : Future.succeededFuture(q));
  }

  /** Sets the fields given (at least one); the rest keep their values. */
  private void updateQueue(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (name.indexOf('\0') >= 0) throw ApiException.notFound("queue");
    JsonObject body = Json.body(ctx, QUEUE_FIELDS);
    if (body.isEmpty()) throw ApiException.invalid("missing_field", "name at least one of " + QUEUE_FIELDS);
    QueueConfigs.Change change = new QueueConfigs.Change(
        intOrNull(body, "max_concurrency", 1, MAX_CONCURRENCY_LIMIT),
        intOrNull(body, "job_timeout", JOB_TIMEOUT_MIN, JOB_TIMEOUT_MAX),
        intOrNull(body, "max_retries", 0, MAX_RETRIES_LIMIT),
        intOrNull(body, "retry_delay_base", 0, RETRY_DELAY_MAX),
        intOrNull(body, "retry_delay_max", 0, RETRY_DELAY_MAX),
        boolOrNull(body, "enable_priority"),
        boolOrNull(body, "is_active"));
    queues.update(name, change)
        .recover(e -> Future.failedFuture(e instanceof QueueConfigs.Invalid invalid
            ? ApiException.invalid("invalid_queue_config", invalid.getMessage())
            : e))
        .compose(found -> found ? findQueue(name) : Future.failedFuture(ApiException.notFound("queue")))
        .onSuccess(q -> {
          vertx.eventBus().publish(Addresses.QUEUES_CHANGED, new JsonObject().put("queue", name));
          Json.send(ctx, 200, q);
        })
        .onFailure(ctx::fail);
  }

  private void workers(RoutingContext ctx) {
    pool.query(AdminQueries.WORKERS).execute().onSuccess(rows -> {
      JsonArray items = new JsonArray();
      for (Row r : rows) {
        items.add(new JsonObject()
            .put("id", r.getString("id"))
            .put("host", r.getString("host"))
            .put("queues", new JsonArray(Arrays.asList(r.getArrayOfStrings("queues"))))
            .put("slots", r.getInteger("slots"))
            .put("running", r.getLong("running"))
            .put("status", r.getString("status"))
            .put("gpu_name", r.getString("gpu_name"))
            .put("gpu_memory_mb", r.getInteger("gpu_memory_mb"))
            .put("gpu_memory_used_mb", r.getInteger("gpu_memory_used_mb"))
            .put("gpu_utilization_percent", r.getInteger("gpu_utilization_percent"))
            .put("version", r.getString("version"))
            .put("started_at", Iso.of(r.getOffsetDateTime("started_at")))
            .put("last_heartbeat_at", Iso.of(r.getOffsetDateTime("last_heartbeat_at"))));
      }
      Json.send(ctx, 200, new JsonObject().put("items", items));
    }).onFailure(ctx::fail);
  }

  private void drain(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!id.matches("[A-Za-z0-9._\\-]{1,64}")) throw ApiException.badRequest("invalid_id", "not a worker id");
    vertx.eventBus().<JsonObject>request(Addresses.workerDrain(id), new JsonObject(),
            new DeliveryOptions().setSendTimeout(DRAIN_TIMEOUT_MILLIS))
        .onSuccess(reply -> Json.send(ctx, 202, reply.body()))
        .onFailure(e -> ctx.fail(e instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS
            ? ApiException.notFound("worker")
            : new ApiException(503, "service_unavailable", "the worker did not answer")));
  }

  private static Integer intOrNull(JsonObject o, String field, int min, int max) {
    if (!o.containsKey(field)) return null;
    if (o.getValue(field) == null) throw ApiException.invalid("invalid_field", "'" + field + "' may not be null");
    return Json.optionalInt(o, field, 0, min, max);
  }

  private static Boolean boolOrNull(JsonObject o, String field) {
    if (!o.containsKey(field)) return null;
    if (!(o.getValue(field) instanceof Boolean b)) throw ApiException.invalid("invalid_field", "'" + field + "' must be true or false");
    return b;
  }
}
