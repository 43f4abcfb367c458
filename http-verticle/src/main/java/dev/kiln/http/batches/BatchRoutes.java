package dev.kiln.http.batches;

import dev.kiln.common.time.Iso;
import dev.kiln.task.ToolAction;
import dev.kiln.task.store.BatchReads;
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
import dev.kiln.http.tasks.TaskRequest;
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
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Batches (seeds 000, 002). {@code POST /batches} takes one of two forms: the image form, one
 * click, N images, one {@code image.generate} task per image with seed {@code base_seed + i}; or
 * the generic form ({@link GenericBatch}), one task of a {@code tool_action} per item of
 * {@code items}. Either is created in one transaction, all or nothing. History lists one row per
 * batch with {@code success_count / batch_size}. Counts and status are kept by Postgres.
 */
public final class BatchRoutes {
  /** Fields only the image form (seed 002) has. */
  static final Set<String> IMAGE_FIELDS = Set.of("prompt", "negative_prompt", "width", "height", "num_inference_steps",
      "guidance_scale", "base_seed", "batch_size");
  /** Fields both forms have. */
  static final Set<String> SHARED_FIELDS = Set.of("title", "metadata", "priority", "webhook_url");
  static final Set<String> CREATE_FIELDS = union(IMAGE_FIELDS, GenericBatch.FIELDS, SHARED_FIELDS);
  /** Images of one image-form batch (seed 002); a generic batch holds up to {@link GenericBatch#MAX_ITEMS} items. */
  public static final int MAX_BATCH_SIZE = 64;
  /** The encoded size a batch's metadata may have. */
  public static final int MAX_METADATA_BYTES = 16 * 1024;
  static final Set<String> PAGE_PARAMS = Set.of("limit", "cursor");
  /** What a seed-002 batch makes, and where it runs. */
  static final String GENERATE = "image.generate";
  static final String IMAGE = "image";

  private final Vertx vertx;
  private final TaskStore store;
  private final TaskReads tasks;
  private final BatchReads batches;
  private final TaskActionRoutes actions;
  private final boolean debugActions;
  private final Function<String, Long> prices;
  private final AssetUrls urls;

  public BatchRoutes(Vertx vertx, TaskStore store, TaskReads tasks, BatchReads batches, TaskActionRoutes actions,
                     boolean debugActions, Function<String, Long> prices, AssetUrls urls) {
    this.vertx = vertx;
    this.store = store;
    this.tasks = tasks;
    this.batches = batches;
    this.actions = actions;
    this.debugActions = debugActions;
    this.prices = prices;
    this.urls = urls;
  }

  @SafeVarargs
  private static Set<String> union(Set<String>... sets) {
    return Stream.of(sets).flatMap(Set::stream).collect(Collectors.toUnmodifiableSet());
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
    boolean generic = GenericBatch.asked(body);
    if (generic) {
      IMAGE_FIELDS.stream().filter(body::containsKey).findFirst().ifPresent(f -> {
        throw ApiException.invalid("mixed_batch_forms", "a batch is the image form (prompt, batch_size, ...) or the generic form "
            + "(tool_action, items), not both: '" + f + "' is the image form's");
      });
    }
    int priority = TaskRequest.priority(body);
    JsonObject metadata = metadata(body);
    String title = Json.optionalString(body, "title", 200);
    String idem = TaskRoutes.idempotencyKey(ctx);
    String requestHash = idem == null ? null : Json.requestHash(body);
    UUID id = batchId(metadata, caller, idem);
    String webhookUrl = TaskRoutes.webhookUrl(body);
    Future<Made> made;
    if (generic) {
      ToolAction action = GenericBatch.action(body, debugActions);
      List<TaskRequest> items = GenericBatch.items(body, action, priority);
      made = GenericBatch.tasks(items, id, caller, tasks, prices).map(all -> new Made(NewBatch.generic(id, caller.apiClientId(),
          caller.userId(), action.name(), title, all.size(), metadata, webhookUrl, requestHash), all));
    } else {
      made = Future.succeededFuture(images(body, caller, id, priority, title, metadata, webhookUrl, requestHash));
    }
    made.compose(m -> store.createBatch(m.batch(), m.tasks()))
        .onSuccess(created -> TaskRoutes.announce(vertx, created))
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

  /** A batch's row and its tasks, before they are written. */
  private record Made(NewBatch batch, List<NewTask> tasks) {}

  /** The image form (seed 002): {@code size} images of one input, seeds {@code base_seed + i}. */
  private Made images(JsonObject body, Caller caller, UUID id, int priority, String title, JsonObject metadata,
                      String webhookUrl, String requestHash) {
    int size = Json.optionalInt(body, "batch_size", 1, 1, MAX_BATCH_SIZE);
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
        input.getInteger("num_inference_steps"), input.getDouble("guidance_scale"), baseSeed, metadata, webhookUrl, requestHash);
    List<NewTask> images = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      JsonObject one = input.copy().put("seed", baseSeed + i);
      images.add(new NewTask(UUID.randomUUID(), caller.apiClientId(), caller.userId(), "batch", GENERATE, IMAGE, priority, one,
          null, null, prices.apply(GENERATE), null, null, null, null, null, null, new NewTask.BatchItem(id, i, baseSeed + i,
          input.getString("prompt"), input.getString("negative_prompt"), input.getInteger("width"), input.getInteger("height"),
          input.getInteger("num_inference_steps"), input.getDouble("guidance_scale"))));
    }
    return new Made(batch, images);
  }

  /**
   * The caller's own notes on the batch, kept and shown as given: any JSON object of at most
   * {@link #MAX_METADATA_BYTES} (it comes back with every read of the batch and each history row);
   * {@code batch_id}, when there, is a UUID: the caller's name for the batch.
   */
  private static JsonObject metadata(JsonObject body) {
    JsonObject metadata = Json.optionalObject(body, "metadata");
    int bytes = metadata.toBuffer().length();
    if (bytes > MAX_METADATA_BYTES) {
      throw ApiException.invalid("invalid_field", "'metadata' is at most " + MAX_METADATA_BYTES + " bytes of JSON, not " + bytes);
    }
    return metadata;
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

  /** The batch with its tasks (each one's output image and outputs), if the caller may see it. */
  private Future<JsonObject> find(Caller caller, UUID id) {
    return batches.get(caller.scope(), id).compose(batch -> {
      if (batch == null) return Future.failedFuture(ApiException.notFound("batch"));
      return batches.tasks(id).map(items -> {
        JsonArray out = new JsonArray();
        for (JsonObject task : items) {
          JsonObject image = task.getJsonObject("image");
          if (image != null) image.put("url", urls.sign(UUID.fromString((String) image.remove("asset_id"))));
          urls.presentResult(task); // its outputs sit at the top, as in a result: each gets its signed url
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
