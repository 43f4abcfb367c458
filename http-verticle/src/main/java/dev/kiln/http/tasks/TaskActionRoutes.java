package dev.kiln.http.tasks;

import dev.kiln.common.bus.Addresses;
import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.task.TaskStatus;
import dev.kiln.task.store.Cancelled;
import dev.kiln.task.store.TaskReads;
import dev.kiln.task.store.TaskStore;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Json;
import dev.kiln.http.api.Problems;
import dev.kiln.http.auth.Caller;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.UUID;

/** What an owner does to a task after submitting it: cancel, retry, delete, restore. */
public final class TaskActionRoutes {
  /** A running task's cancel waits this long for the leading dispatcher. */
  public static final long CANCEL_TIMEOUT_MILLIS = 5_000;

  private final Vertx vertx;
  private final TaskStore store;
  private final TaskReads reads;
  private final TaskRoutes tasks;

  public TaskActionRoutes(Vertx vertx, TaskStore store, TaskReads reads, TaskRoutes tasks) {
    this.vertx = vertx;
    this.store = store;
    this.reads = reads;
    this.tasks = tasks;
  }

  public void mount(Router api) {
    api.post("/tasks/:id/cancel").handler(this::cancel);
    api.post("/tasks/:id/retry").handler(this::retry);
    api.delete("/tasks/:id").handler(this::delete);
    api.post("/tasks/:id/restore").handler(this::restore);
  }

  /**
   * Ends a pending or retrying task at once; a running one through the leading dispatcher,
   * which stops it on its worker. Racing the task's own completion, exactly one wins: the
   * loser's answer is 409 {@code task_finished} with the task as it ended.
   */
  private void cancel(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id");
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    tasks.find(caller, id)
        .compose(task -> store.cancelWaiting(id).compose(cancelled -> {
          if (!cancelled.isEmpty()) {
            announce(cancelled);
            return tasks.find(caller, id);
          }
          return tasks.find(caller, id).compose(now -> TaskStatus.RUNNING.value().equals(now.getString("status"))
              ? cancelRunning(now).compose(won -> tasks.find(caller, id))
              : Future.succeededFuture(now));
        }))
        .onSuccess(task -> {
          if (!TaskStatus.CANCELLED.value().equals(task.getString("status"))) {
            conflict(ctx, "task_finished", "the task ended " + task.getString("status") + " first", task);
            return;
          }
          Json.send(ctx, 200, task);
        })
        .onFailure(ctx::fail);
  }

  /** After commit: each cancelled task's event and count. */
  public void announce(List<Cancelled> cancelled) {
    for (Cancelled c : cancelled) {
      KilnMetrics.finished(c.queue(), TaskStatus.CANCELLED.value());
      c.event().publish(vertx.eventBus());
    }
  }

  private Future<Boolean> cancelRunning(JsonObject task) {
    return cancelRunning(task.getString("id"), task.getInteger("attempt"), task.getString("queue"), task.getString("worker_id"));
  }

  /** Asks the leading dispatcher to cancel a running attempt; true when the cancel won. */
  public Future<Boolean> cancelRunning(String taskId, int attempt, String queue, String workerId) {
    JsonObject ask = new JsonObject().put("task_id", taskId).put("attempt", attempt)
        .put("queue", queue).put("worker_id", workerId);
    return vertx.eventBus().<JsonObject>request(Addresses.DISPATCHER_CANCEL, ask,
            new DeliveryOptions().setSendTimeout(CANCEL_TIMEOUT_MILLIS))
        .map(reply -> reply.body().getBoolean("cancelled", false))
        .recover(e -> Future.failedFuture(new ApiException(503, "service_unavailable",
            "no dispatcher answered; retry the cancel shortly")));
  }

  /** A failed, timed-out or cancelled task queued again from the start (its history is kept). */
  private void retry(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id");
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    tasks.find(caller, id)
        .compose(task -> store.retry(id).compose(retried -> {
          if (retried == null) {
            return Future.failedFuture(new ApiException(409, "not_retryable",
                "only a failed, timed-out or cancelled task can be retried; this one is " + task.getString("status")));
          }
          retried.event().publish(vertx.eventBus());
          vertx.eventBus().publish(Addresses.TASKS_CREATED, new JsonObject().put("queue", retried.queue()));
          return tasks.find(caller, id);
        }))
        .onSuccess(task -> Json.send(ctx, 202, task))
        .onFailure(ctx::fail);
  }

  /** Soft delete: into the recycle bin (GET /tasks?deleted=true), restorable. */
  private void delete(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id");
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    tasks.find(caller, id)
        .compose(task -> store.delete(id).compose(deleted -> {
          if (deleted.running()) {
            return Future.failedFuture(new ApiException(409, "task_running", "cancel the running task before deleting it"));
          }
          announce(deleted.cancelled());
          return Future.succeededFuture();
        }))
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private void restore(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id");
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    reads.deleted(caller.scope(), id)
        .compose(deleted -> {
          if (deleted == null) return Future.failedFuture(ApiException.notFound("task"));
          if (!deleted) return Future.failedFuture(new ApiException(409, "not_deleted", "the task is not in the recycle bin"));
          return store.restore(id);
        })
        .compose(v -> tasks.find(caller, id))
        .onSuccess(task -> Json.send(ctx, 200, task))
        .onFailure(ctx::fail);
  }


  private static void conflict(RoutingContext ctx, String code, String detail, JsonObject task) {
    ctx.response().setStatusCode(409).putHeader("Content-Type", Problems.CONTENT_TYPE).end(new JsonObject()
        .put("type", "https://kiln.dev/problems/" + code.replace('_', '-')).put("title", "Conflict").put("status", 409)
        .put("code", code).put("detail", detail).put("instance", ctx.request().path()).put("task", task).encode());
  }
}
