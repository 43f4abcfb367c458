package dev.kiln.http.sse;

import dev.kiln.common.bus.Addresses;
import dev.kiln.task.TaskEvent;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Json;
import dev.kiln.http.auth.Caller;
import dev.kiln.http.tasks.TaskQueries;
import dev.kiln.http.tasks.TaskRoutes;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code GET /api/v1/tasks/{id}/events}: a task's lifecycle and progress as Server-Sent Events.
 * Live events come from {@code kiln.tasks.events}; Postgres fills in what the bus dropped
 * (a periodic catch-up) and what a reconnecting client missed ({@code Last-Event-ID}).
 * The stream ends after the terminal event; asked again after that, it answers 204.
 */
public final class TaskEventStreams {
  /** A comment line this often keeps proxies from closing an idle stream. */
  public static final long PING_MILLIS = 15_000;
  /** Postgres is asked this often for events the bus may have dropped. */
  public static final long CATCH_UP_MILLIS = 2_000;

  private final Vertx vertx;
  private final Pool pool;
  private final TaskRoutes tasks;
  private final Map<String, Set<Stream>> byTask = new HashMap<>();
  private MessageConsumer<JsonObject> consumer;

  public TaskEventStreams(Vertx vertx, Pool pool, TaskRoutes tasks) {
    this.vertx = vertx;
    this.pool = pool;
    this.tasks = tasks;
  }

  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(Addresses.TASKS_EVENTS, m -> deliver(m.body()));
    return consumer.completion();
  }

  public void mount(Router api) {
    api.get("/tasks/:id/events").handler(this::open);
  }

  private void deliver(JsonObject event) {
    Set<Stream> streams = byTask.get(event.getString("task_id"));
    if (streams == null) return;
    for (Stream s : List.copyOf(streams)) s.offer(event);
  }

  private void open(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id");
    long after = lastEventId(ctx);
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    tasks.find(caller, id).onSuccess(task -> {
      Stream s = new Stream(ctx.response(), id.toString(), after);
      byTask.computeIfAbsent(s.taskId, k -> new LinkedHashSet<>()).add(s);
      s.catchUp().onSuccess(rows -> s.begin(rows, TaskEvent.terminal(task.getString("status")))).onFailure(e -> {
        s.close();
        ctx.fail(e);
      });
    }).onFailure(ctx::fail);
  }

  /** One SSE frame of a task event: id = the task_events id, event = its type, data = the payload with task_id. */
  static String frame(JsonObject e) {
    String type = e.getString("event_type");
    JsonObject data = new JsonObject().put("task_id", e.getString("task_id")).put("event", type)
        .put("at", e.getString("created_at")).mergeIn(e.getJsonObject("payload", new JsonObject()));
    return "id: " + e.getLong("id") + "\nevent: " + type + "\ndata: " + data.encode() + "\n\n";
  }

  static long lastEventId(RoutingContext ctx) {
    String v = ctx.request().getHeader("Last-Event-ID");
    if (v == null) v = ctx.request().getParam("last_event_id");
    if (v == null || v.isEmpty()) return 0;
    try {
      long n = Long.parseLong(v.trim());
      if (n < 0) throw new NumberFormatException();
      return n;
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("invalid_last_event_id", "Last-Event-ID must be a non-negative event id");
    }
  }

  private final class Stream {
    final HttpServerResponse res;
    final String taskId;
    long lastSent;
    boolean live;
    boolean closed;
    final List<JsonObject> early = new ArrayList<>();
    long pingTimer = -1;
    long catchUpTimer = -1;

    Stream(HttpServerResponse res, String taskId, long after) {
      this.res = res;
      this.taskId = taskId;
      this.lastSent = after;
    }

    Future<RowSet<Row>> catchUp() {
      return pool.preparedQuery(TaskQueries.EVENTS_AFTER).execute(Tuple.of(UUID.fromString(taskId), lastSent));
    }

    void begin(RowSet<Row> missed, boolean taskEnded) {
      if (closed) return;
      if (taskEnded && missed.size() == 0 && early.isEmpty()) {
        close();
        res.setStatusCode(204).end();
        return;
      }
      res.setChunked(true).setStatusCode(200)
          .putHeader("Content-Type", "text/event-stream; charset=utf-8")
          .putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no");
      res.closeHandler(v -> close());
      res.write(": kiln task " + taskId + "\n\n");
      for (Row r : missed) write(TaskEvent.of(r));
      live = true;
      early.sort(Comparator.comparingLong(e -> e.getLong("id")));
      for (JsonObject e : early) write(e);
      early.clear();
      if (closed) return;
      pingTimer = vertx.setPeriodic(PING_MILLIS, t -> res.write(": ping\n\n"));
      catchUpTimer = vertx.setPeriodic(CATCH_UP_MILLIS, t -> catchUp().onSuccess(rows -> {
        for (Row r : rows) write(TaskEvent.of(r));
      }));
    }

    void offer(JsonObject event) {
      if (live) write(event);
      else early.add(event);
    }

    void write(JsonObject e) {
      long id = e.getLong("id");
      if (closed || id <= lastSent) return;
      lastSent = id;
      res.write(frame(e));
      if (TaskEvent.terminal(e.getString("event_type"))) {
        close();
        res.end();
      }
    }

    void close() {
      if (closed) return;
      closed = true;
      if (pingTimer >= 0) vertx.cancelTimer(pingTimer);
      if (catchUpTimer >= 0) vertx.cancelTimer(catchUpTimer);
      Set<Stream> set = byTask.get(taskId);
      if (set != null) {
        set.remove(this);
        if (set.isEmpty()) byTask.remove(taskId);
      }
    }
  }
}
