package dev.kiln.http.sse;

import dev.kiln.common.asset.AssetUrls;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Json;
import dev.kiln.http.auth.Caller;
import dev.kiln.http.tasks.TaskRoutes;
import dev.kiln.task.TaskEvent;
import dev.kiln.task.store.TaskReads;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * {@code GET /api/v1/tasks/{id}/events}: a task's lifecycle and progress as Server-Sent Events.
 * What a reconnecting client missed ({@code Last-Event-ID}) comes from Postgres; then the live
 * events come from the {@link EventFeed}. A task's events are written under its row lock, so
 * they commit in id order and the stream sends each id once, rising. The stream ends after the
 * terminal event; asked again after that, it answers 204.
 */
public final class TaskEventStreams {
  /** Events replayed per query on open; a full page is followed by the next. */
  static final int REPLAY_PAGE = 1000;

  private final Vertx vertx;
  private final TaskReads reads;
  private final TaskRoutes tasks;
  private final EventFeed feed;
  private final StreamSlots slots;
  private final long pingMillis;
  private final AssetUrls urls;

  TaskEventStreams(Vertx vertx, TaskReads reads, TaskRoutes tasks, EventFeed feed, StreamSlots slots, long pingMillis,
                   AssetUrls urls) {
    this.urls = urls;
    this.vertx = vertx;
    this.reads = reads;
    this.tasks = tasks;
    this.feed = feed;
    this.slots = slots;
    this.pingMillis = pingMillis;
  }

  /** A task the caller may follow, and the slot its stream holds. */
  private record Opening(boolean taskEnded, StreamSlots.Slot slot) {}

  void mount(Router api) {
    api.get("/tasks/:id/events").handler(this::open);
  }

  private void open(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id");
    long after = lastEventId(ctx);
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    tasks.find(caller, id)
        .compose(task -> slots.acquire(caller).map(slot -> new Opening(TaskEvent.terminal(task.getString("status")), slot)))
        .onSuccess(o -> follow(ctx, id, after, o))
        .onFailure(ctx::fail);
  }

  private void follow(RoutingContext ctx, UUID id, long after, Opening o) {
    if (ctx.response().closed()) {
      o.slot().release(); // the client left while the slot was taken
      return;
    }
    Stream s = new Stream(ctx.response(), id.toString(), after, o.slot());
    ctx.response().closeHandler(v -> s.close());
    // Follow first, replay after: what commits in between arrives live (and is sent once).
    feed.followTask(s.taskId, s).compose(v -> replay(after, REPLAY_PAGE, from -> reads.eventsAfter(id, from, REPLAY_PAGE)))
        .onSuccess(missed -> s.begin(missed, o.taskEnded()))
        .onFailure(e -> {
          s.close();
          ctx.fail(e);
        });
  }

  /**
   * Everything after {@code after} that {@code pageAfter} reads, {@code pageSize} at a time (a
   * full page is followed by the next): a reconnecting stream's missed events.
   */
  static Future<List<TaskEvent>> replay(long after, int pageSize, Function<Long, Future<List<TaskEvent>>> pageAfter) {
    return replay(after, pageSize, pageAfter, new ArrayList<>());
  }

  private static Future<List<TaskEvent>> replay(long after, int pageSize, Function<Long, Future<List<TaskEvent>>> pageAfter,
                                                List<TaskEvent> into) {
    return pageAfter.apply(after).compose(page -> {
      into.addAll(page);
      return page.size() < pageSize ? Future.succeededFuture(into) : replay(page.get(page.size() - 1).id(), pageSize, pageAfter, into);
    });
  }

  /**
   * One SSE frame of a task event: id = the task_events id, event = its type, data = the payload
   * with task_id; a completed event's result as the API shows it (signed output URLs), signed now
   * on a copy, since one event goes to many streams.
   */
  static String frame(TaskEvent e, AssetUrls urls) {
    io.vertx.core.json.JsonObject data = new io.vertx.core.json.JsonObject().put("task_id", e.taskId()).put("event", e.type())
        .put("at", e.createdAt()).mergeIn(e.payload() == null ? new io.vertx.core.json.JsonObject() : e.payload());
    if (data.getValue("result") instanceof io.vertx.core.json.JsonObject result) data.put("result", urls.presentResult(result.copy()));
    return "id: " + e.id() + "\nevent: " + e.type() + "\ndata: " + data.encode() + "\n\n";
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

  /** Writes the SSE headers; shared by both kinds of stream. */
  static void head(HttpServerResponse res) {
    res.setChunked(true).setStatusCode(200)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
  }

  private final class Stream implements EventFeed.Listener {
    final HttpServerResponse res;
    final String taskId;
    final StreamSlots.Slot slot;
    long lastSent;
    boolean live;
    boolean closed;
    final List<TaskEvent> early = new ArrayList<>();
    long pingTimer = -1;

    Stream(HttpServerResponse res, String taskId, long after, StreamSlots.Slot slot) {
      this.res = res;
      this.taskId = taskId;
      this.slot = slot;
      this.lastSent = after;
    }

    void begin(List<TaskEvent> missed, boolean taskEnded) {
      if (closed) return;
      if (taskEnded && missed.isEmpty() && early.isEmpty()) {
        close();
        res.setStatusCode(204).end();
        return;
      }
      head(res);
      res.write(": kiln task " + taskId + "\n\n");
      for (TaskEvent e : missed) write(e);
      live = true;
      early.sort(Comparator.comparingLong(TaskEvent::id));
      for (TaskEvent e : early) write(e);
      early.clear();
      if (closed) return;
      pingTimer = vertx.setPeriodic(pingMillis, t -> res.write(": ping\n\n"));
    }

    @Override
    public void onEvent(TaskEvent event) {
      if (live) write(event);
      else if (!closed) early.add(event);
    }

    void write(TaskEvent e) {
      if (closed || e.id() <= lastSent) return;
      lastSent = e.id();
      res.write(frame(e, urls));
      if (e.terminal()) {
        close();
        res.end();
      }
    }

    void close() {
      if (closed) return;
      closed = true;
      if (pingTimer >= 0) vertx.cancelTimer(pingTimer);
      feed.unfollow(this);
      slot.release();
    }
  }
}
