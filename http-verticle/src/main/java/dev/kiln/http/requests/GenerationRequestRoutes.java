package dev.kiln.http.requests;

import dev.kiln.common.asset.AssetUrls;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Cursor;
import dev.kiln.http.api.Json;
import dev.kiln.http.api.ListParams;
import dev.kiln.http.auth.Caller;
import dev.kiln.http.tasks.TaskActionRoutes;
import dev.kiln.http.tasks.TaskRoutes;
import dev.kiln.task.ToolAction;
import dev.kiln.task.store.GenerationRequests;
import dev.kiln.task.store.NewTask;
import dev.kiln.task.store.RunningAttempt;
import dev.kiln.task.store.TaskReads;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * Seed 003's generation requests: a prompt becomes {@code image_count} images (image.generate
 * tasks), the caller picks one, and it becomes the request's one 3D model (a model3d.generate
 * task). The request's status and phase follow its tasks in PostgreSQL ({@code RequestProgress}).
 */
public final class GenerationRequestRoutes {
  static final Set<String> CREATE_FIELDS = Set.of("prompt", "negative_prompt", "width", "height", "seed", "image_count", "webhook_url");
  static final Set<String> SELECT_FIELDS = Set.of("selected_image_index", "name");
  public static final int DEFAULT_IMAGE_COUNT = 4;
  public static final int MAX_IMAGE_COUNT = 8;
  public static final int DEFAULT_SIDE = 512;
  static final Set<String> PAGE_PARAMS = Set.of("limit", "cursor");
  static final String GENERATE = "image.generate";
  static final String MODEL = "model3d.generate";

  private final Vertx vertx;
  private final GenerationRequests requests;
  private final TaskReads tasks;
  private final TaskActionRoutes actions;
  private final Function<String, Long> prices;
  private final AssetUrls urls;

  public GenerationRequestRoutes(Vertx vertx, GenerationRequests requests, TaskReads tasks, TaskActionRoutes actions,
                                 Function<String, Long> prices, AssetUrls urls) {
    this.vertx = vertx;
    this.requests = requests;
    this.tasks = tasks;
    this.actions = actions;
    this.prices = prices;
    this.urls = urls;
  }

  public void mount(Router api) {
    api.post("/generation-requests").handler(this::create);
    api.get("/generation-requests").handler(this::list);
    api.get("/generation-requests/:id").handler(this::get);
    api.patch("/generation-requests/:id").handler(this::select);
    api.post("/generation-requests/:id/cancel").handler(this::cancel);
  }

  private void create(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    JsonObject body = Json.body(ctx, CREATE_FIELDS);
    String prompt = Json.requiredString(body, "prompt", 4000);
    String negative = Json.optionalString(body, "negative_prompt", 4000);
    int width = Json.optionalInt(body, "width", DEFAULT_SIDE, 64, 2048);
    int height = Json.optionalInt(body, "height", DEFAULT_SIDE, 64, 2048);
    int count = Json.optionalInt(body, "image_count", DEFAULT_IMAGE_COUNT, 1, MAX_IMAGE_COUNT);
    Object seedValue = body.getValue("seed");
    if (seedValue != null && !(seedValue instanceof Integer || seedValue instanceof Long)) {
      throw ApiException.invalid("invalid_field", "'seed' must be a whole number");
    }
    long seed = seedValue == null ? ThreadLocalRandom.current().nextLong(0, 1L << 40) : ((Number) seedValue).longValue();
    JsonObject input = new JsonObject().put("prompt", prompt).put("width", width).put("height", height);
    if (negative != null) input.put("negative_prompt", negative);
    // every image's input but for its seed is the same: checking the largest seed (the smallest
    // when it is negative; an overflow is negative too) checks them all
    ToolAction.of(GENERATE).orElseThrow().check(input.copy().put("seed", seed < 0 ? seed : seed + count - 1)).ifPresent(problem -> {
      throw ApiException.invalid("invalid_input", problem.replace("input.", ""));
    });
    UUID id = UUID.randomUUID();
    List<NewTask> images = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      images.add(new NewTask(UUID.randomUUID(), caller.apiClientId(), caller.userId(), "openapi", GENERATE, "image", 0,
          input.copy().put("seed", seed + i), null, null, prices.apply(GENERATE), null, null, null, null, null, null, null));
    }
    GenerationRequests.NewRequest request = new GenerationRequests.NewRequest(id, caller.apiClientId(), caller.userId(), prompt,
        negative, width, height, seed, count, TaskRoutes.webhookUrl(body));
    requests.create(request, images)
        .onSuccess(created -> TaskRoutes.announce(vertx, created))
        .compose(v -> find(caller, id))
        .onSuccess(r -> {
          ctx.response().putHeader("Location", "/api/v1/generation-requests/" + id);
          Json.send(ctx, 202, r);
        })
        .onFailure(ctx::fail);
  }

  /** The pick: {@code selected_image_index} (and the model's {@code name}, else from the prompt). */
  private void select(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    UUID id = Json.pathId(ctx, "id");
    JsonObject body = Json.body(ctx, SELECT_FIELDS);
    if (!body.containsKey("selected_image_index")) throw ApiException.invalid("missing_field", "'selected_image_index' is required");
    int index = Json.optionalInt(body, "selected_image_index", 0, 0, MAX_IMAGE_COUNT - 1);
    String name = Json.optionalString(body, "name", 200);
    if (name != null && name.isBlank()) throw ApiException.invalid("invalid_field", "'name' must not be blank");
    // the store's lookup under the caller's scope is the 404 for another's request
    requests.select(caller.scope(), id, index, name, image -> modelTask(caller, image))
        .onSuccess(selected -> TaskRoutes.announce(vertx, List.of(selected.task())))
        .compose(v -> find(caller, id))
        .onSuccess(r -> Json.send(ctx, 200, r))
        .onFailure(e -> ctx.fail(refusal(e)));
  }

  /** The model's task: model3d.generate from the picked image's output, which becomes its input asset. */
  private NewTask modelTask(Caller caller, GenerationRequests.SourceImage image) {
    JsonObject asset = new JsonObject().put("id", UUID.randomUUID().toString()).put("object_key", image.objectKey())
        .put("file_name", "source_image.png").put("mime_type", image.mimeType()).put("size_bytes", image.sizeBytes())
        .put("width", image.width()).put("height", image.height()).put("checksum", image.checksum())
        .put("metadata", new JsonObject().put("field", "source_image").put("from", image.assetId().toString()));
    JsonObject input = new JsonObject().put("source_image", image.assetId().toString());
    return new NewTask(UUID.randomUUID(), caller.apiClientId(), caller.userId(), "openapi", MODEL, "model3d", 0, input, null, null,
        prices.apply(MODEL), null, null, image.objectKey(), null, null, new JsonArray().add(asset), null);
  }

  /** Cancels what waits at once and what runs through the leader; the request is CANCELLED at once. */
  private void cancel(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    UUID id = Json.pathId(ctx, "id");
    find(caller, id)
        .compose(r -> requests.cancel(caller.scope(), id))
        .compose(c -> {
          actions.announce(c.cancelled());
          return tasks.runningInRequest(id);
        })
        .compose(running -> {
          List<Future<Boolean>> asks = new ArrayList<>();
          for (RunningAttempt r : running) asks.add(actions.cancelRunning(r.taskId().toString(), r.attempt(), r.queue(), r.workerId()));
          return Future.join(asks);
        })
        .compose(v -> find(caller, id))
        .onSuccess(r -> Json.send(ctx, 200, r))
        .onFailure(e -> ctx.fail(refusal(e)));
  }

  private void get(RoutingContext ctx) {
    find(ctx.get(Caller.CONTEXT_KEY), Json.pathId(ctx, "id")).onSuccess(r -> Json.send(ctx, 200, r)).onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    int limit = ListParams.limit(ctx.queryParams(), PAGE_PARAMS);
    Cursor cursor = Cursor.parse(ctx.queryParams().get("cursor"));
    requests.list(caller.scope(), cursor == null ? null : cursor.createdAt(), cursor == null ? null : cursor.id(), limit)
        .onSuccess(page -> Json.send(ctx, 200, new JsonObject().put("items", new JsonArray(new ArrayList<>(page.items())))
            .put("next_cursor", Cursor.of(page.next()))))
        .onFailure(ctx::fail);
  }

  /** The request as the API shows it, if the caller may see it: images and model with signed URLs. */
  public Future<JsonObject> find(Caller caller, UUID id) {
    return requests.get(caller.scope(), id).compose(r -> {
      if (r == null) return Future.failedFuture(ApiException.notFound("generation request"));
      return Future.succeededFuture(urls.presentRequest(r));
    });
  }

  private static Throwable refusal(Throwable e) {
    return e instanceof GenerationRequests.Refused r ? new ApiException(r.status, r.code, r.getMessage()) : e;
  }
}
