package dev.kiln.http.sse;

import dev.kiln.common.asset.AssetUrls;
import dev.kiln.http.api.Json;
import dev.kiln.http.auth.Caller;
import dev.kiln.http.requests.GenerationRequestRoutes;
import dev.kiln.task.TaskEvent;
import dev.kiln.task.store.TaskReads;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * {@code GET /api/v1/generation-requests/{id}/events}: one stream of a whole seed-003 pipeline.
 * Its tasks' events (each image's progress and end, then the model's) as the task stream sends
 * them, with {@code Last-Event-ID} replay from PostgreSQL; between them a {@code request} event
 * (no id: it is the request's state, not history) whenever its status or phase changes, and one
 * on open. The stream ends after the request's last phase.
 */
final class RequestEventStreams {
  /** Events of the caller's other tasks kept, the newest, in case one is the request's model's. */
  static final int UNKNOWN_KEPT = 64;

  private final Vertx vertx;
  private final TaskReads reads;
  private final GenerationRequestRoutes requests;
  private final EventFeed feed;
  private final StreamSlots slots;
  private final long pingMillis;
  private final AssetUrls urls;

  RequestEventStreams(Vertx vertx, TaskReads reads, GenerationRequestRoutes requests, EventFeed feed, StreamSlots slots,
                      long pingMillis, AssetUrls urls) {
    this.urls = urls;
    this.vertx = vertx;
    this.reads = reads;
    this.requests = requests;
    this.feed = feed;
    this.slots = slots;
    this.pingMillis = pingMillis;
  }

  void mount(Router api) {
    api.get("/generation-requests/:id/events").handler(this::open);
  }

  private void open(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id");
    long after = TaskEventStreams.lastEventId(ctx);
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    requests.find(caller, id)
        .compose(request -> slots.acquire(caller).map(slot -> {
          if (ctx.response().closed()) {
            slot.release(); // the client left while the slot was taken
            return null;
          }
          Stream s = new Stream(ctx.response(), caller, id, after, slot);
          s.learn(request);
          ctx.response().closeHandler(v -> s.close());
          // Follow first, replay after: what commits in between arrives live (and is sent once).
          List<UUID> tasks = List.copyOf(s.tasks);
          feed.followScope(caller.scope(), s).compose(v -> TaskEventStreams.replay(after, TaskEventStreams.REPLAY_PAGE,
                  from -> reads.eventsAfter(from, List.of(), tasks, false, TaskEventStreams.REPLAY_PAGE)))
              .onSuccess(missed -> s.begin(missed, request))
              .onFailure(e -> {
                s.close();
                ctx.fail(e);
              });
          return null;
        }))
        .onFailure(ctx::fail);
  }

  static String requestFrame(JsonObject r) {
    JsonObject data = new JsonObject().put("request_id", r.getString("id")).put("status", r.getString("status"))
        .put("phase", r.getString("phase")).put("selected_image_index", r.getInteger("selected_image_index"));
    return "event: request\ndata: " + data.encode() + "\n\n";
  }

  private final class Stream implements EventFeed.Listener {
    final HttpServerResponse res;
    final Caller caller;
    final UUID requestId;
    final Set<UUID> tasks = new HashSet<>();
    /** Events of the caller's tasks not known to be the request's (its model's, before a re-read shows it), in arrival order. */
    final List<TaskEvent> unknown = new ArrayList<>();
    final List<TaskEvent> early = new ArrayList<>();
    /** Ids sent: events of different tasks may arrive out of id order, so "above the last one" would drop some. */
    final Set<Long> sent = new HashSet<>();
    final long after;
    String state;
    boolean live;
    boolean closed;
    boolean refreshing;
    boolean refreshAgain;
    long pingTimer = -1;

    final StreamSlots.Slot slot;

    Stream(HttpServerResponse res, Caller caller, UUID requestId, long after, StreamSlots.Slot slot) {
      this.slot = slot;
      this.res = res;
      this.caller = caller;
      this.requestId = requestId;
      this.after = after;
    }

    /** Takes the request's task ids from its view. */
    void learn(JsonObject request) {
      for (Object o : request.getJsonArray("images")) tasks.add(UUID.fromString(((JsonObject) o).getString("task_id")));
      JsonObject model = request.getJsonObject("model");
      if (model != null && model.getString("task_id") != null) tasks.add(UUID.fromString(model.getString("task_id")));
    }

    void begin(List<TaskEvent> missed, JsonObject request) {
      if (closed) return;
      TaskEventStreams.head(res);
      res.write(": kiln generation request " + requestId + "\n\n");
      for (TaskEvent e : missed) write(e);
      live = true;
      early.sort(Comparator.comparingLong(TaskEvent::id));
      for (TaskEvent e : early) write(e);
      early.clear();
      state(request);
      if (closed) return;
      pingTimer = vertx.setPeriodic(pingMillis, t -> res.write(": ping\n\n"));
      refresh(); // what changed while it opened
    }

    @Override
    public void onEvent(TaskEvent event) {
      if (closed) return;
      UUID task = UUID.fromString(event.taskId());
      if (!tasks.contains(task)) {
        // a task of the caller's that may be this request's model: known after a re-read (its
        // created event asks for one; its next ones may arrive before that read answers)
        unknown.add(event);
        while (unknown.size() > UNKNOWN_KEPT) unknown.remove(0);
        if (TaskEvent.CREATED.equals(event.type())) refresh();
        return;
      }
      if (live) write(event);
      else early.add(event);
      if (!"progress".equals(event.type())) refresh();
    }

    /** Re-reads the request: new tasks (its model's), and its state; one read at a time, the last change read again. */
    void refresh() {
      if (!live || closed) return;
      if (refreshing) {
        refreshAgain = true;
        return;
      }
      refreshing = true;
      requests.find(caller, requestId).onComplete(ar -> {
        refreshing = false;
        if (closed) return;
        if (ar.succeeded()) {
          learn(ar.result());
          List<TaskEvent> known = unknown.stream().filter(e -> tasks.contains(UUID.fromString(e.taskId()))).toList();
          unknown.removeAll(known);
          // another task of the caller's, or one a read in flight did not see yet: kept a while
          while (unknown.size() > UNKNOWN_KEPT) unknown.remove(0);
          known.forEach(this::write);
          state(ar.result());
        }
        if (refreshAgain && !closed) {
          refreshAgain = false;
          refresh();
        }
      });
    }

    void state(JsonObject request) {
      String now = request.getString("status") + "/" + request.getString("phase");
      if (!now.equals(state)) {
        state = now;
        res.write(requestFrame(request));
      }
      if ("COMPLETED".equals(request.getString("phase"))) {
        close();
        res.end();
      }
    }

    void write(TaskEvent e) {
      if (closed || e.id() <= after || !sent.add(e.id())) return;
      res.write(TaskEventStreams.frame(e, urls));
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
