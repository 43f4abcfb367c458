package dev.kiln.http.tasks;

import dev.kiln.common.time.Iso;
import dev.kiln.common.bus.Addresses;
import dev.kiln.common.db.GroupCommit;
import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.common.redis.Hot;
import dev.kiln.task.TaskEvent;
import dev.kiln.task.TaskJson;
import dev.kiln.task.TaskStatus;
import dev.kiln.task.ToolAction;
import dev.kiln.http.api.ApiException;
import dev.kiln.common.asset.AssetUrls;
import dev.kiln.http.api.Json;
import dev.kiln.http.auth.Caller;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.util.Set;
import java.util.UUID;

/** {@code /api/v1/tasks}: submit, read, and the task's assets. */
public final class TaskRoutes {
  static final Set<String> CREATE_FIELDS = Set.of("tool_action", "input", "priority", "webhook_url", "channel");
  /** seed 000 channels a caller may name; {@code batch} is set by POST /batches. */
  static final Set<String> CHANNELS = Set.of("openapi", "web-ui");
  /** seed 004 edit modes, kept in the task row beside the tool_action they mirror. */
  static final java.util.Map<String, String> MODES = java.util.Map.of("image.head-swap", "HEAD_SWAP",
      "image.background-change", "BACKGROUND_CHANGE", "image.pose-change", "POSE_CHANGE");
  public static final int PRIORITY_LIMIT = 1000;
  /** Page sizes of GET /tasks. */
  public static final int DEFAULT_PAGE = 20;
  public static final int MAX_PAGE = 100;

  private final Vertx vertx;
  private final Pool pool;
  private final Hot hot;
  private final boolean debugActions;
  private final Path assetDir;
  private final GroupCommit<Tuple, RowSet<Row>> inserts;
  private final java.util.function.Function<String, Long> prices;
  private final AssetUrls urls;

  public TaskRoutes(Vertx vertx, Pool pool, Hot hot, boolean debugActions, Path assetDir,
                    java.util.function.Function<String, Long> prices, AssetUrls urls) {
    this.prices = prices;
    this.urls = urls;
    this.vertx = vertx;
    this.pool = pool;
    this.hot = hot;
    this.debugActions = debugActions;
    this.assetDir = assetDir;
    this.inserts = new GroupCommit<>(pool, (conn, args) -> conn.preparedQuery(TaskQueries.CREATE).execute(args));
  }

  public void mount(Router api) {
    api.post("/tasks").handler(this::create);
    api.get("/tasks/:id").handler(this::get);
    api.get("/tasks").handler(this::list);
    api.get("/tasks/:id/assets").handler(this::assets);
    api.get("/tasks/:id/assets/:asset_id/content").handler(this::assetContent);
  }

  private void create(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    JsonObject body = Json.body(ctx, CREATE_FIELDS);
    String idem = idempotencyKey(ctx);
    String requestHash = idem == null ? null : Json.requestHash(body);
    String name = Json.requiredString(body, "tool_action", 64);
    ToolAction action = ToolAction.of(name)
        .filter(a -> debugActions || !a.debug())
        .orElseThrow(() -> ApiException.invalid("unknown_tool_action", "unknown tool_action '" + name + "'"));
    JsonObject input = Json.optionalObject(body, "input");
    action.check(input).ifPresent(problem -> {
      throw ApiException.invalid("invalid_input", problem);
    });
    int priority = Json.optionalInt(body, "priority", 0, -PRIORITY_LIMIT, PRIORITY_LIMIT);
    String channel = java.util.Objects.requireNonNullElse(Json.optionalString(body, "channel", 16), "openapi");
    if (!CHANNELS.contains(channel)) throw ApiException.invalid("invalid_field", "'channel' is openapi or web-ui");
    String webhookUrl = webhookUrl(body);
    InputImages.resolve(pool, caller, action, input)
        .compose(images -> inserts.submit(Tuple.of(caller.clientId(), caller.userId(), action.name(), priority, input, action.queue(), idem)
            .addLong(prices.apply(action.name())).addString(webhookUrl).addString(channel)
            .addString(MODES.get(action.name())).addString(InputImages.key(images, "source_image"))
            .addString(InputImages.key(images, "reference_image")).addValue(InputImages.assets(images))
            .addValue(input.getJsonObject("config")).addString(requestHash)))
        .compose(rows -> rows.size() > 0
            ? Future.succeededFuture(created(rows.iterator().next(), action, caller, idem))
            : replay(caller, idem, requestHash))
        .onSuccess(reply -> {
          ctx.response().setStatusCode(202)
              .putHeader("Content-Type", "application/json")
              .putHeader("Location", "/api/v1/tasks/" + new JsonObject(reply.body()).getString("id"));
          if (reply.replayed()) ctx.response().putHeader("Idempotent-Replayed", "true");
          ctx.response().end(reply.body());
        })
        .onFailure(ctx::fail);
  }

  private record Reply(String body, boolean replayed) {}

  /** After commit: the wake-up hint, the created event for SSE, and the replay copy of the answer. */
  private Reply created(Row r, ToolAction action, Caller caller, String idem) {
    JsonObject task = urls.present(TaskJson.of(r));
    vertx.eventBus().publish(Addresses.TASKS_CREATED, new JsonObject().put("queue", action.queue()));
    vertx.eventBus().publish(Addresses.TASKS_EVENTS, new JsonObject()
        .put("id", r.getLong("event_id")).put("task_id", task.getString("id"))
        .put("event_type", r.getString("event_type")).put("payload", r.getJsonObject("payload"))
        .put("created_at", Iso.of(r.getOffsetDateTime("event_created_at"))));
    KilnMetrics.submitted(action.queue());
    String body = task.encode();
    if (idem != null) hot.putReplay(caller.tenant(), idem, body);
    return new Reply(body, false);
  }

  /**
   * The same Idempotency-Key again, from the same tenant: the first answer (from Redis, or rebuilt
   * from the task when Redis lost it), if the request is the same one; a different request under
   * it is a 422.
   */
  private Future<Reply> replay(Caller caller, String idem, String requestHash) {
    return pool.preparedQuery(TaskQueries.BY_IDEMPOTENCY_KEY).execute(Tuple.of(caller.tenant(), idem)).compose(rows -> {
      if (rows.size() == 0) return Future.failedFuture(new IllegalStateException("idempotent insert found no task"));
      Row row = rows.iterator().next();
      String firstHash = row.getString("request_hash");
      if (!requestHash.equals(firstHash)) {
        return Future.failedFuture(ApiException.invalid("idempotency_key_reused",
            "this Idempotency-Key was used for a different request"));
      }
      JsonObject first = urls.present(TaskJson.of(row));
      return hot.replay(caller.tenant(), idem).map(cached -> new Reply(cached != null ? cached : first.encode(), true));
    });
  }

  /** An absolute http(s) URL Kiln will POST the task to when it ends (see WebhookSender). */
  public static String webhookUrl(JsonObject body) {
    String url = Json.optionalString(body, "webhook_url", 2048);
    if (url == null) return null;
    try {
      java.net.URI u = new java.net.URI(url);
      if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) throw new IllegalArgumentException();
    } catch (java.net.URISyntaxException | IllegalArgumentException e) {
      throw ApiException.invalid("invalid_field", "'webhook_url' must be an absolute http or https URL");
    }
    return url;
  }

  /** The request's Idempotency-Key (1-255 visible ASCII), or null. */
  public static String idempotencyKey(RoutingContext ctx) {
    String k = ctx.request().getHeader("Idempotency-Key");
    if (k == null) return null;
    if (!k.matches("[\\x21-\\x7e]{1,255}")) {
      throw ApiException.badRequest("invalid_idempotency_key", "Idempotency-Key is 1-255 visible ASCII characters");
    }
    return k;
  }

  /**
   * The caller's tasks, newest first: filters {@code status, tool_action, batch_id, channel,
   * created_after, created_before}, {@code deleted=true} for the recycle bin, {@code limit}
   * (at most 100) and {@code cursor} (the {@code next_cursor} of the page before).
   */
  private void list(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    ListQuery q = ListQuery.of(ctx);
    Tuple args = Tuple.of(q.cursorId(), caller.scopeClientId(), caller.userId(), q.deleted(),
        q.status(), q.toolAction(), q.batchId(), q.channel(), q.createdAfter(), q.createdBefore(), q.cursorAt(), q.limit() + 1);
    pool.preparedQuery(TaskQueries.LIST).execute(args).onSuccess(rows -> {
      JsonArray items = new JsonArray();
      String next = null;
      Row last = null;
      for (Row r : rows) {
        if (items.size() == q.limit()) {
          next = ListQuery.cursor(last); // there is more: the page ends at the last row shown
          break;
        }
        items.add(urls.present(TaskJson.of(r)));
        last = r;
      }
      ctx.response().putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("items", items).put("next_cursor", next).encode());
    }).onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id");
    find(ctx.get(Caller.CONTEXT_KEY), id)
        .compose(this::withLiveProgress)
        .onSuccess(task -> ctx.response().putHeader("Content-Type", "application/json").end(task.encode()))
        .onFailure(ctx::fail);
  }

  /** The task if the caller may see it; else a 404 that does not tell whether it exists. */
  public Future<JsonObject> find(Caller caller, UUID id) {
    return pool.preparedQuery(TaskQueries.GET).execute(caller.owned(id)).compose(rows -> rows.size() == 0
        ? Future.failedFuture(ApiException.notFound("task"))
        : Future.succeededFuture(urls.present(TaskJson.of(rows.iterator().next()))));
  }

  /** Postgres holds progress coarsely; Redis has the latest of a running attempt. */
  private Future<JsonObject> withLiveProgress(JsonObject task) {
    if (!TaskStatus.RUNNING.value().equals(task.getString("status"))) return Future.succeededFuture(task);
    return hot.progress(task.getString("id")).map(live -> {
      if (live != null && live.getInteger("attempt", -1).equals(task.getInteger("attempt"))
          && live.getInteger("progress", 0) > task.getInteger("progress")) {
        task.put("progress", live.getInteger("progress"));
      }
      return task;
    });
  }

  private void assets(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id");
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    find(caller, id)
        .compose(task -> pool.preparedQuery(TaskQueries.ASSETS).execute(caller.owned(id)))
        .onSuccess(rows -> {
          JsonArray items = new JsonArray();
          for (Row r : rows) items.add(asset(r));
          ctx.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("items", items).encode());
        })
        .onFailure(ctx::fail);
  }

  private void assetContent(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id");
    UUID assetId = Json.pathId(ctx, "asset_id");
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    pool.preparedQuery(TaskQueries.ASSETS).execute(caller.owned(id)).onSuccess(rows -> {
      for (Row r : rows) {
        if (r.getUUID("id").equals(assetId)) {
          Path file = assetDir.resolve(r.getString("object_key")).normalize();
          if (!file.startsWith(assetDir)) break;
          ctx.response().putHeader("Content-Type", r.getString("mime_type"))
              .sendFile(file.toString()).onFailure(e -> ctx.fail(ApiException.notFound("asset file")));
          return;
        }
      }
      ctx.fail(ApiException.notFound("asset"));
    }).onFailure(ctx::fail);
  }

  private JsonObject asset(Row r) {
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("asset_type", r.getString("asset_type"))
        .put("file_name", r.getString("file_name"))
        .put("mime_type", r.getString("mime_type"))
        .put("size_bytes", r.getLong("size_bytes"))
        .put("width", r.getInteger("width"))
        .put("height", r.getInteger("height"))
        .put("checksum", r.getString("checksum"))
        .put("created_at", Iso.of(r.getOffsetDateTime("created_at")))
        .put("url", urls.sign(r.getUUID("id")));
  }

}
