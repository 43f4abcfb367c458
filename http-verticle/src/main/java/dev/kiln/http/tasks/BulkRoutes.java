package dev.kiln.http.tasks;

import dev.kiln.common.asset.AssetUrls;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Json;
import dev.kiln.http.auth.Caller;
import dev.kiln.task.store.Created;
import dev.kiln.task.store.NewTask;
import dev.kiln.task.store.TaskReads;
import dev.kiln.task.store.TaskStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code POST /api/v1/tasks/bulk}: up to {@link #MAX_TASKS} task bodies in one transaction, each
 * read as {@code POST /tasks} reads one, all or nothing (a bad one is a 4xx naming it,
 * {@code tasks[i]}, and nothing is created; so is a wallet that cannot pay for all), answered
 * with the created tasks in order. With an {@code Idempotency-Key}, task i is created under
 * {@code <key>#<i>}: a repeat replays the first answer, a different request under it is a 422.
 */
public final class BulkRoutes {
  public static final int MAX_TASKS = 1_000;
  static final Set<String> FIELDS = Set.of("tasks");

  private final Vertx vertx;
  private final TaskStore store;
  private final TaskReads reads;
  private final boolean debugActions;
  private final Function<String, Long> prices;
  private final AssetUrls urls;

  public BulkRoutes(Vertx vertx, TaskStore store, TaskReads reads, boolean debugActions, Function<String, Long> prices,
                    AssetUrls urls) {
    this.vertx = vertx;
    this.store = store;
    this.reads = reads;
    this.debugActions = debugActions;
    this.prices = prices;
    this.urls = urls;
  }

  public void mount(Router api) {
    api.post("/tasks/bulk").handler(this::bulk);
  }

  private void bulk(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    JsonObject body = Json.body(ctx, FIELDS);
    String idem = TaskRoutes.idempotencyKey(ctx);
    String requestHash = idem == null ? null : Json.requestHash(body);
    if (!(body.getValue("tasks") instanceof JsonArray items)) {
      throw ApiException.invalid(body.containsKey("tasks") ? "invalid_field" : "missing_field", "'tasks' is an array of task bodies");
    }
    if (items.isEmpty() || items.size() > MAX_TASKS) {
      throw ApiException.invalid("invalid_field", "'tasks' holds 1 to " + MAX_TASKS + " tasks, not " + items.size());
    }
    List<TaskRequest> asked = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) asked.add(item(items.getValue(i), i));
    List<Future<NewTask>> tasks = new ArrayList<>(asked.size());
    for (int i = 0; i < asked.size(); i++) {
      TaskRequest a = asked.get(i);
      String key = idem == null ? null : idem + "#" + i;
      int index = i;
      tasks.add(InputImages.resolve(reads, caller, a.action(), a.input())
          .recover(e -> Future.failedFuture(e instanceof ApiException api ? at(index, api) : e))
          .map(images -> a.task(caller, images, key, requestHash, prices)));
    }
    Future.all(tasks).compose(all -> store.createAll(all.<NewTask>list()))
        .compose(created -> {
          TaskRoutes.announce(vertx, created);
          JsonArray out = new JsonArray();
          for (Created c : created) out.add(urls.present(c.task()));
          return Future.succeededFuture(new JsonObject().put("items", out));
        })
        .recover(e -> e instanceof TaskStore.AlreadyCreated
            ? replay(caller, idem, requestHash, asked.size()).onSuccess(r -> ctx.response().putHeader("Idempotent-Replayed", "true"))
            : Future.failedFuture(e))
        .onSuccess(reply -> Json.send(ctx, 202, reply))
        .onFailure(ctx::fail);
  }

  /** One item: an object of a task's fields, read as POST /tasks reads a body; a problem names its index. */
  private TaskRequest item(Object value, int i) {
    if (!(value instanceof JsonObject o)) throw ApiException.invalid("invalid_field", "tasks[" + i + "] must be an object");
    try {
      for (String k : o.fieldNames()) {
        if (!TaskRequest.FIELDS.contains(k)) throw ApiException.invalid("unknown_field", "unknown field '" + k + "'");
      }
      return TaskRequest.of(o, debugActions);
    } catch (ApiException e) {
      throw at(i, e);
    }
  }

  private static ApiException at(int i, ApiException e) {
    return new ApiException(e.status(), e.code(), "tasks[" + i + "]: " + e.getMessage());
  }

  /** The same key again: the tasks it created, in order, if the request is the same one. */
  private Future<JsonObject> replay(Caller caller, String idem, String requestHash, int n) {
    if (idem == null) return Future.failedFuture(new IllegalStateException("an all-or-nothing create conflicted without a key"));
    List<Future<JsonObject>> firsts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) firsts.add(reads.byIdempotencyKey(caller.tenant(), idem + "#" + i));
    return Future.all(firsts).compose(all -> {
      JsonArray out = new JsonArray();
      for (int i = 0; i < n; i++) {
        JsonObject first = all.resultAt(i);
        if (first == null || !requestHash.equals(first.getString("request_hash"))) {
          return Future.failedFuture(ApiException.invalid("idempotency_key_reused", "this Idempotency-Key was used for a different request"));
        }
        out.add(urls.present(first.getJsonObject("task")));
      }
      return Future.succeededFuture(new JsonObject().put("items", out));
    });
  }
}
