package dev.kiln.http.tasks;

import dev.kiln.common.asset.AssetStore;
import dev.kiln.common.asset.AssetUrls;
import dev.kiln.common.bus.Addresses;
import dev.kiln.common.db.GroupCommit;
import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.common.redis.Hot;
import dev.kiln.common.time.Iso;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Cursor;
import dev.kiln.http.api.Json;
import dev.kiln.http.auth.Caller;
import dev.kiln.task.TaskStatus;
import dev.kiln.task.ToolAction;
import dev.kiln.task.store.Created;
import dev.kiln.task.store.NewTask;
import dev.kiln.task.store.TaskAsset;
import dev.kiln.task.store.TaskReads;
import dev.kiln.task.store.TaskStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/** {@code /api/v1/tasks}: submit, read, and the task's assets and attempts. */
public final class TaskRoutes {
  /** Page sizes of GET /tasks. */
  public static final int DEFAULT_PAGE = 20;
  public static final int MAX_PAGE = 100;

  private final Vertx vertx;
  private final TaskReads reads;
  private final Hot hot;
  private final boolean debugActions;
  private final AssetStore assets;
  /**
   * Concurrent submits of this event loop, one transaction per batch, one batch in flight: what
   * arrives meanwhile waits a few milliseconds and goes in one statement, which costs Postgres far
   * less per task than many small ones.
   */
  private final GroupCommit<NewTask, Created> inserts;
  static final int INSERT_BATCH = 256;
  static final int INSERTS_IN_FLIGHT = 1;
  private final Function<String, Long> prices;
  private final AssetUrls urls;

  public TaskRoutes(Vertx vertx, TaskStore store, TaskReads reads, Hot hot, boolean debugActions, AssetStore assets,
                    Function<String, Long> prices, AssetUrls urls) {
    this.vertx = vertx;
    this.reads = reads;
    this.hot = hot;
    this.debugActions = debugActions;
    this.assets = assets;
    this.prices = prices;
    this.urls = urls;
    this.inserts = new GroupCommit<>(tasks -> store.create(tasks).map(created -> inOrder(tasks, created)), INSERT_BATCH,
        INSERTS_IN_FLIGHT);
  }

  /** One result per task given, in order: what was created, or null for an Idempotency-Key's repeat. */
  private static List<Created> inOrder(List<NewTask> tasks, List<Created> created) {
    Map<UUID, Created> byId = new HashMap<>();
    for (Created c : created) byId.put(c.id(), c);
    List<Created> out = new ArrayList<>(tasks.size());
    for (NewTask t : tasks) out.add(byId.get(t.id()));
    return out;
  }

  public void mount(Router api) {
    api.post("/tasks").handler(this::create);
    api.get("/tasks/:id").handler(this::get);
    api.get("/tasks").handler(this::list);
    api.get("/tasks/:id/assets").handler(this::assets);
    api.get("/tasks/:id/attempts").handler(this::attempts);
    api.get("/tasks/:id/assets/:asset_id/content").handler(this::assetContent);
  }

  private void create(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    JsonObject body = Json.body(ctx, TaskRequest.FIELDS);
    String idem = idempotencyKey(ctx);
    String requestHash = idem == null ? null : Json.requestHash(body);
    TaskRequest asked = TaskRequest.of(body, debugActions);
    InputImages.resolve(reads, caller, asked.action(), asked.input())
        .compose(images -> inserts.submit(asked.task(caller, images, idem, requestHash, prices)))
        .compose(created -> created != null
            ? Future.succeededFuture(created(created, caller, idem))
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
  private Reply created(Created c, Caller caller, String idem) {
    announce(vertx, List.of(c));
    String body = urls.present(c.task()).encode();
    if (idem != null) hot.putReplay(caller.tenant(), idem, body);
    return new Reply(body, false);
  }

  /** After commit: each task's created event and count, and one wake-up hint per queue. */
  public static void announce(Vertx vertx, List<Created> created) {
    Set<String> queues = new HashSet<>();
    for (Created c : created) {
      c.event().publish(vertx.eventBus());
      KilnMetrics.submitted(c.queue());
      queues.add(c.queue());
    }
    for (String q : queues) vertx.eventBus().publish(Addresses.TASKS_CREATED, new JsonObject().put("queue", q));
  }

  /**
   * The same Idempotency-Key again, from the same tenant: the first answer (from Redis, or rebuilt
   * from the task when Redis lost it), if the request is the same one; a different request under
   * it is a 422.
   */
  private Future<Reply> replay(Caller caller, String idem, String requestHash) {
    return reads.byIdempotencyKey(caller.tenant(), idem).compose(first -> {
      if (first == null) return Future.failedFuture(new IllegalStateException("idempotent insert found no task"));
      if (!requestHash.equals(first.getString("request_hash"))) {
        return Future.failedFuture(ApiException.invalid("idempotency_key_reused",
            "this Idempotency-Key was used for a different request"));
      }
      String rebuilt = urls.present(first.getJsonObject("task")).encode();
      return hot.replay(caller.tenant(), idem).map(cached -> new Reply(cached != null ? cached : rebuilt, true));
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
    reads.list(caller.scope(), ListQuery.of(ctx).filter()).onSuccess(page -> {
      JsonArray items = new JsonArray();
      page.items().forEach(t -> items.add(urls.present(t)));
      Json.send(ctx, 200, new JsonObject().put("items", items).put("next_cursor", Cursor.of(page.next())));
    }).onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id");
    find(ctx.get(Caller.CONTEXT_KEY), id)
        .compose(this::withLiveProgress)
        .onSuccess(task -> Json.send(ctx, 200, task))
        .onFailure(ctx::fail);
  }

  /** The task if the caller may see it; else a 404 that does not tell whether it exists. */
  public Future<JsonObject> find(Caller caller, UUID id) {
    return reads.get(caller.scope(), id).compose(task -> task == null
        ? Future.failedFuture(ApiException.notFound("task"))
        : Future.succeededFuture(urls.present(task)));
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
        .compose(task -> reads.assets(caller.scope(), id))
        .onSuccess(rows -> {
          JsonArray items = new JsonArray();
          for (TaskAsset a : rows) items.add(asset(a));
          Json.send(ctx, 200, new JsonObject().put("items", items));
        })
        .onFailure(ctx::fail);
  }

  /** Its ended attempts, oldest first: outcome, error and traceback, provider, GPU time, logs. */
  private void attempts(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id");
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    find(caller, id)
        .compose(task -> reads.attempts(caller.scope(), id))
        .onSuccess(items -> Json.send(ctx, 200, new JsonObject().put("items", new JsonArray(new ArrayList<>(items)))))
        .onFailure(ctx::fail);
  }

  private void assetContent(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id");
    UUID assetId = Json.pathId(ctx, "asset_id");
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    reads.assets(caller.scope(), id).compose(rows -> {
      TaskAsset a = rows.stream().filter(r -> r.id().equals(assetId)).findFirst().orElse(null);
      if (a == null) return Future.failedFuture(ApiException.notFound("asset"));
      return assets.send(ctx.response(), a.objectKey(), a.mimeType())
          .recover(e -> Future.failedFuture(ApiException.notFound("asset file")));
    }).onFailure(ctx::fail);
  }

  private JsonObject asset(TaskAsset a) {
    return new JsonObject()
        .put("id", a.id().toString())
        .put("asset_type", a.assetType())
        .put("file_name", a.fileName())
        .put("mime_type", a.mimeType())
        .put("size_bytes", a.sizeBytes())
        .put("width", a.width())
        .put("height", a.height())
        .put("checksum", a.checksum())
        .put("created_at", Iso.of(a.createdAt()))
        .put("url", urls.sign(a.id()));
  }
}
