package dev.kiln.http.admin;

import dev.kiln.common.asset.AssetUrls;
import dev.kiln.common.bus.Addresses;
import dev.kiln.common.metrics.ScheduleMetrics;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Json;
import dev.kiln.http.auth.Caller;
import dev.kiln.http.tasks.InputImages;
import dev.kiln.http.tasks.TaskRoutes;
import dev.kiln.task.store.TaskConfig;
import dev.kiln.task.store.TaskConfigs;
import dev.kiln.task.store.TaskReads;
import dev.kiln.task.store.TaskStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * {@code /api/v1/admin/task-configs} (seed 001, issue 12): task configs made, read, changed,
 * deleted, run by hand, and their runs. After each change the leading dispatcher is told
 * ({@code kiln.task-configs.changed}), so it fires by the new config within a second.
 */
public final class TaskConfigRoutes {
  static final int DEFAULT_PAGE = 20;
  static final int MAX_PAGE = 100;
  private static final Set<String> PAGE_PARAMS = Set.of("limit", "cursor");

  private final Vertx vertx;
  private final TaskConfigs configs;
  private final TaskStore store;
  private final TaskReads reads;
  private final AssetUrls urls;
  private final boolean debugActions;

  public TaskConfigRoutes(Vertx vertx, TaskConfigs configs, TaskStore store, TaskReads reads, AssetUrls urls, boolean debugActions) {
    this.vertx = vertx;
    this.configs = configs;
    this.store = store;
    this.reads = reads;
    this.urls = urls;
    this.debugActions = debugActions;
  }

  public void mount(Router api) {
    api.post("/admin/task-configs").handler(this::create);
    api.get("/admin/task-configs").handler(this::list);
    api.get("/admin/task-configs/:id").handler(this::get);
    api.put("/admin/task-configs/:id").handler(this::update);
    api.delete("/admin/task-configs/:id").handler(this::delete);
    api.post("/admin/task-configs/:id/run").handler(this::run);
    api.get("/admin/task-configs/:id/executions").handler(this::executions);
  }

  private void create(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    TaskConfigRequest asked = TaskConfigRequest.create(Json.body(ctx, TaskConfigRequest.FIELDS), debugActions, Instant.now());
    inputAssets(caller, asked, null)
        .compose(assets -> configs.insert(asked.values(assets), caller.apiClientId()))
        .onSuccess(c -> {
          changed(c.id());
          ctx.response().putHeader("Location", "/api/v1/admin/task-configs/" + c.id());
          Json.send(ctx, 201, c.json());
        })
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    configs.all().onSuccess(all -> {
      JsonArray items = new JsonArray();
      all.forEach(c -> items.add(c.json()));
      Json.send(ctx, 200, new JsonObject().put("items", items));
    }).onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    find(id(ctx)).onSuccess(c -> Json.send(ctx, 200, c.json())).onFailure(ctx::fail);
  }

  /** The fields given, on the config as it is under its row lock; the whole is checked again. */
  private void update(RoutingContext ctx) {
    long id = id(ctx);
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    JsonObject body = Json.body(ctx, TaskConfigRequest.FIELDS);
    configs.update(id, old -> {
          TaskConfigRequest asked = TaskConfigRequest.change(old, body, debugActions, Instant.now());
          return inputAssets(caller, asked, old).map(asked::values);
        })
        .compose(c -> c == null ? Future.failedFuture(ApiException.notFound("task config")) : Future.succeededFuture(c))
        .onSuccess(c -> {
          changed(id);
          Json.send(ctx, 200, c.json());
        })
        .onFailure(ctx::fail);
  }

  /** Its tasks and their executions stay, without it. */
  private void delete(RoutingContext ctx) {
    long id = id(ctx);
    configs.delete(id)
        .compose(found -> found ? Future.succeededFuture() : Future.failedFuture(ApiException.notFound("task config")))
        .onSuccess(v -> {
          changed(id);
          ctx.response().setStatusCode(204).end();
        })
        .onFailure(ctx::fail);
  }

  /** A task now, whatever its scheduler type, even when inactive. */
  private void run(RoutingContext ctx) {
    long id = id(ctx);
    store.runConfig(id)
        .compose(c -> c == null ? Future.failedFuture(ApiException.notFound("task config")) : Future.succeededFuture(c))
        .onSuccess(created -> {
          TaskRoutes.announce(vertx, List.of(created));
          ScheduleMetrics.fired(id, ScheduleMetrics.MANUAL, 1);
          ctx.response().putHeader("Location", "/api/v1/tasks/" + created.id());
          Json.send(ctx, 202, urls.present(created.task()));
        })
        .onFailure(ctx::fail);
  }

  /** Its runs (task_executions), newest first: {@code limit} (at most 100) and {@code cursor}. */
  private void executions(RoutingContext ctx) {
    long id = id(ctx);
    var p = ctx.queryParams();
    for (String name : p.names()) {
      if (!PAGE_PARAMS.contains(name)) throw ApiException.badRequest("unknown_parameter", "unknown query parameter '" + name + "'");
      if (p.getAll(name).size() > 1) throw ApiException.badRequest("invalid_parameter", "'" + name + "' given twice");
    }
    int limit = limit(p.get("limit"));
    TaskConfigs.Position after = cursor(p.get("cursor"));
    find(id).compose(c -> configs.executions(id, after, limit))
        .onSuccess(page -> Json.send(ctx, 200, new JsonObject().put("items", new JsonArray(page.items()))
            .put("next_cursor", page.next() == null ? null : cursor(page.next()))))
        .onFailure(ctx::fail);
  }

  private Future<TaskConfig> find(long id) {
    return configs.get(id).compose(c -> c == null ? Future.failedFuture(ApiException.notFound("task config")) : Future.succeededFuture(c));
  }

  /**
   * The input images the parameters name (uploads or task assets, any tenant's: the caller is an
   * admin), as the input asset rows each task of the config gets; unchanged input keeps its own.
   */
  private Future<JsonArray> inputAssets(Caller caller, TaskConfigRequest asked, TaskConfig old) {
    if (old != null && !asked.inputChanged()) return Future.succeededFuture(old.inputAssets());
    return InputImages.resolve(reads, caller, asked.action(), asked.parameters()).map(InputImages::assets);
  }

  /** After commit: the leader rereads this config. */
  private void changed(long id) {
    vertx.eventBus().publish(Addresses.TASK_CONFIGS_CHANGED, new JsonObject().put("id", id));
  }

  private static long id(RoutingContext ctx) {
    String raw = ctx.pathParam("id");
    if (!raw.matches("[1-9][0-9]{0,17}")) throw ApiException.badRequest("invalid_id", "'" + raw + "' is not a task config id");
    return Long.parseLong(raw);
  }

  private static int limit(String v) {
    if (v == null) return DEFAULT_PAGE;
    int n;
    try {
      n = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      n = 0;
    }
    if (n < 1 || n > MAX_PAGE) throw ApiException.badRequest("invalid_parameter", "limit is 1 to " + MAX_PAGE);
    return n;
  }

  /** A page's position, opaque to clients: base64url of "started_at|id". */
  private static String cursor(TaskConfigs.Position at) {
    String raw = at.startedAt().toInstant() + "|" + at.id();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  private static TaskConfigs.Position cursor(String v) {
    if (v == null) return null;
    try {
      String[] parts = new String(Base64.getUrlDecoder().decode(v), StandardCharsets.UTF_8).split("\\|");
      if (parts.length != 2) throw new IllegalArgumentException();
      return new TaskConfigs.Position(Instant.parse(parts[0]).atOffset(ZoneOffset.UTC), Long.parseLong(parts[1]));
    } catch (RuntimeException e) {
      throw ApiException.badRequest("invalid_cursor", "cursor is not one this API gave out");
    }
  }
}
