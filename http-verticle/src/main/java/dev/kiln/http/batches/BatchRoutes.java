package dev.kiln.http.batches;

import dev.kiln.common.time.Iso;
import dev.kiln.common.bus.Addresses;
import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.task.ToolAction;
import dev.kiln.task.store.BatchReads;
import dev.kiln.task.store.Created;
import dev.kiln.task.store.NewBatch;
import dev.kiln.task.store.NewTask;
import dev.kiln.task.store.RunningAttempt;
import dev.kiln.task.store.TaskReads;
import dev.kiln.task.store.TaskStore;
import dev.kiln.http.api.ApiException;
import dev.kiln.common.asset.AssetUrls;
import dev.kiln.http.api.Cursor;
import dev.kiln.http.api.Json;
import dev.kiln.http.api.ListParams;
import dev.kiln.http.auth.Caller;
import dev.kiln.http.tasks.TaskActionRoutes;
import dev.kiln.http.tasks.TaskRoutes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Batches (seeds 000, 002): one click, N images; {@code POST /batches} makes one
 * {@code image.generate} task per image with seed {@code base_seed + i}. History lists one row
 * per batch with {@code success_count / batch_size}. Counts and status are kept by Postgres.
 */
public final class BatchRoutes {
  static final Set<String> CREATE_FIELDS = Set.of("prompt", "negative_prompt", "width", "height", "num_inference_steps",
      "guidance_scale", "base_seed", "batch_size", "title", "metadata", "priority", "webhook_url");
  public static final int MAX_BATCH_SIZE = 64;
  static final Set<String> PAGE_PARAMS = Set.of("limit", "cursor");
  /** What a seed-002 batch makes, and where it runs. */
  static final String GENERATE = "image.generate";
  static final String IMAGE = "image";

  private final Vertx vertx;
  private final TaskStore store;
  private final TaskReads tasks;
  private final BatchReads batches;
  private final TaskActionRoutes actions;
  private final long price;
  private final AssetUrls urls;

  public BatchRoutes(Vertx vertx, TaskStore store, TaskReads tasks, BatchReads batches, TaskActionRoutes actions, long price,
                     AssetUrls urls) {
    this.vertx = vertx;
    this.store = store;
    this.tasks = tasks;
    this.batches = batches;
    this.actions = actions;
    this.price = price;
    this.urls = urls;
  }

  public void mount(Router api) {
    api.post("/batches").handler(this::create);
    api.get("/batches/:id").handler(this::get);
    api.post("/batches/:id/cancel").handler(this::cancel);
    api.get("/history").handler(this::history);
    api.get("/history/:id").handler(this::get);
  }

  private void create(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    JsonObject body = Json.body(ctx, CREATE_FIELDS);
    int size = Json.optionalInt(body, "batch_size", 1, 1, MAX_BATCH_SIZE);
    int priority = Json.optionalInt(body, "priority", 0, -1000, 1000);
    JsonObject metadata = Json.optionalObject(body, "metadata");
    String title = Json.optionalString(body, "title", 200);
    String idem = TaskRoutes.idempotencyKey(ctx);
    String requestHash = idem == null ? null : Json.requestHash(body);
    UUID id = batchId(metadata, caller, idem);
    Object baseSeedValue = body.getValue("base_seed");
    if (baseSeedValue != null && !(baseSeedValue instanceof Integer || baseSeedValue instanceof Long)) {
      throw ApiException.invalid("invalid_field", "'base_seed' must be a whole number");
    }
    long baseSeed = baseSeedValue == null ? ThreadLocalRandom.current().nextLong(0, 1L << 40) : ((Number) baseSeedValue).longValue();
    // Every image's input is the same but for its seed: check the largest seed (the smallest when it is negative).
    JsonObject input = new JsonObject();
    for (String f : List.of("prompt", "negative_prompt", "width", "height", "num_inference_steps", "guidance_scale")) {
      if (body.containsKey(f)) input.put(f, body.getValue(f));
    }
    ToolAction.of(GENERATE).orElseThrow().check(input.copy().put("seed", baseSeed < 0 ? baseSeed : baseSeed + size - 1))
        .ifPresent(problem -> {
          throw ApiException.invalid("invalid_input", problem);
        });
    NewBatch batch = new NewBatch(id, caller.apiClientId(), caller.userId(), GENERATE, title, size, input.getString("prompt"),
        input.getString("negative_prompt"), input.getInteger("width"), input.getInteger("height"),
        input.getInteger("num_inference_steps"), input.getDouble("guidance_scale"), baseSeed, metadata,
        TaskRoutes.webhookUrl(body), requestHash);
    List<NewTask> images = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      JsonObject one = input.copy().put("seed", baseSeed + i);
      images.add(new NewTask(UUID.randomUUID(), caller.apiClientId(), caller.userId(), "batch", GENERATE, IMAGE, priority, one,
          null, null, price, null, null, null, null, null, null, new NewTask.BatchItem(id, i, baseSeed + i, input.getString("prompt"),
          input.getString("negative_prompt"), input.getInteger("width"), input.getInteger("height"),
          input.getInteger("num_inference_steps"), input.getDouble("guidance_scale"))));
    }
    store.createBatch(batch, images)
        .onSuccess(created -> {
          for (Created c : created) c.event().publish(vertx.eventBus());
          vertx.eventBus().publish(Addresses.TASKS_CREATED, new JsonObject().put("queue", IMAGE));
          for (int i = 0; i < created.size(); i++) KilnMetrics.submitted(IMAGE);
        })
        .compose(v -> find(caller, id))
        .onSuccess(b -> Json.send(ctx, 202, b))
        .onFailure(e -> {
          if (!(e instanceof PgException pg && "23505".equals(pg.getSqlState()))) {
            ctx.fail(e);
          } else if (idem == null) {
            ctx.fail(new ApiException(409, "batch_exists", "a batch with id " + id + " exists already"));
          } else {
            replay(ctx, caller, id, requestHash).onFailure(ctx::fail);
          }
        });
  }

  /**
   * The same Idempotency-Key again: the batch it made, if the request is the same one (the same
   * hash); a different request under it is a 422. A batch of that id made without the key, or
   * another tenant's, is a 409.
   */
  private Future<Void> replay(RoutingContext ctx, Caller caller, UUID id, String requestHash) {
    return find(caller, id).recover(e -> Future.failedFuture(new ApiException(409, "batch_exists",
        "a batch with id " + id + " exists already"))).compose(first -> batches.requestHash(id).compose(firstHash -> {
          if (firstHash == null) {
            return Future.failedFuture(new ApiException(409, "batch_exists", "a batch with id " + id + " exists already"));
          }
          if (!firstHash.equals(requestHash)) {
            return Future.failedFuture(ApiException.invalid("idempotency_key_reused", "this Idempotency-Key was used for a different request"));
          }
          ctx.response().putHeader("Idempotent-Replayed", "true");
          Json.send(ctx, 202, first);
          return Future.succeededFuture();
        }));
  }

  /**
   * The batch's id. From {@code metadata.batch_id}, the caller's own name for it, derived with the
   * tenant: a name is unique within its tenant, and another tenant's same name is another batch
   * (an id taken across tenants answered 409, so ids could be probed and squatted: issue 10,
   * finding 6). Else, with an Idempotency-Key, one derived from it and the tenant (so a repeat
   * collides); else a random one.
   */
  private static UUID batchId(JsonObject metadata, Caller caller, String idem) {
    Object v = metadata.getValue("batch_id");
    if (v == null && idem != null) return derived(caller, "kiln batch\n", idem);
    if (v == null) return UUID.randomUUID();
    try {
      return named(caller, UUID.fromString((String) v));
    } catch (ClassCastException | IllegalArgumentException e) {
      throw ApiException.invalid("invalid_field", "metadata.batch_id must be a UUID");
    }
  }

  /** The id of the caller's batch it named {@code name} in its metadata.batch_id. */
  private static UUID named(Caller caller, UUID name) {
    return derived(caller, "kiln batch id\n", name.toString());
  }

  private static UUID derived(Caller caller, String kind, String key) {
    return UUID.nameUUIDFromBytes((kind + caller.tenant() + "\n" + key).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * The caller's batch by its id, or by the caller's own name for it (its metadata.batch_id):
   * one lookup when the id is the batch's, a second only when it is not.
   */
  private Future<JsonObject> findByIdOrName(Caller caller, UUID idOrName) {
    return find(caller, idOrName).recover(e -> e instanceof ApiException api && api.status() == 404
        ? find(caller, named(caller, idOrName)) : Future.failedFuture(e));
  }

  private void get(RoutingContext ctx) {
    findByIdOrName(ctx.get(Caller.CONTEXT_KEY), Json.pathId(ctx, "id")).onSuccess(b -> Json.send(ctx, 200, b)).onFailure(ctx::fail);
  }

  /** The batch with its tasks (and each one's output image), if the caller may see it. */
  private Future<JsonObject> find(Caller caller, UUID id) {
    return batches.get(caller.scope(), id).compose(batch -> {
      if (batch == null) return Future.failedFuture(ApiException.notFound("batch"));
      return batches.tasks(id).map(items -> {
        JsonArray out = new JsonArray();
        for (JsonObject task : items) {
          JsonObject image = task.getJsonObject("image");
          if (image != null) image.put("url", urls.sign(UUID.fromString((String) image.remove("asset_id"))));
          out.add(task);
        }
        return batch.put("tasks", out);
      });
    });
  }

  /** Cancels what waits at once and what runs through the leader; the batch's status follows. */
  private void cancel(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    findByIdOrName(caller, Json.pathId(ctx, "id")).compose(b -> cancel(ctx, caller, UUID.fromString(b.getString("id"))))
        .onFailure(ctx::fail);
  }

  private Future<Void> cancel(RoutingContext ctx, Caller caller, UUID id) {
    return store.cancelWaitingInBatch(id)
        .compose(cancelled -> {
          actions.announce(cancelled);
          return tasks.runningInBatch(id);
        })
        .compose(running -> {
          List<Future<Boolean>> asks = new ArrayList<>();
          for (RunningAttempt r : running) {
            asks.add(actions.cancelRunning(r.taskId().toString(), r.attempt(), r.queue(), r.workerId()));
          }
          return Future.join(asks);
        })
        .compose(v -> find(caller, id))
        .map(b -> {
          Json.send(ctx, 200, b);
          return null;
        });
  }

  private void history(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    int limit = ListParams.limit(ctx.queryParams(), PAGE_PARAMS);
    Cursor cursor = Cursor.parse(ctx.queryParams().get("cursor"));
    batches.history(caller.scope(), cursor == null ? null : cursor.createdAt(), cursor == null ? null : cursor.id(), limit)
        .onSuccess(page -> Json.send(ctx, 200, new JsonObject().put("items", new JsonArray(new ArrayList<>(page.items())))
            .put("next_cursor", Cursor.of(page.next()))))
        .onFailure(ctx::fail);
  }
}
