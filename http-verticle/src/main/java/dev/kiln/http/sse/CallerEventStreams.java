package dev.kiln.http.sse;

import dev.kiln.common.asset.AssetUrls;
import dev.kiln.http.auth.Caller;
import dev.kiln.task.TaskEvent;
import dev.kiln.task.store.Scope;
import dev.kiln.task.store.TaskReads;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code GET /api/v1/events}: the events of all the caller's tasks, one SSE stream that does not
 * end. Live events come from the {@link EventFeed} (which knows each event's owner), so a stream
 * costs only the events of its own tasks. Without {@code Last-Event-ID} it starts at the
 * present; with it, it first replays from Postgres what came after. Events of different tasks
 * may commit out of id order, so a resumed stream remembers the ids it replayed and sends each
 * event once.
 */
public final class CallerEventStreams {
  /** Events replayed per query on resume; a full page is followed by the next. */
  static final int REPLAY_PAGE = 500;

  private final Vertx vertx;
  private final TaskReads reads;
  private final EventFeed feed;
  private final StreamSlots slots;
  private final long pingMillis;

  private final AssetUrls urls;

  CallerEventStreams(Vertx vertx, TaskReads reads, EventFeed feed, StreamSlots slots, long pingMillis, AssetUrls urls) {
    this.urls = urls;
    this.vertx = vertx;
    this.reads = reads;
    this.feed = feed;
    this.slots = slots;
    this.pingMillis = pingMillis;
  }

  void mount(Router api) {
    api.get("/events").handler(this::open);
  }

  private void open(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    boolean resume = ctx.request().getHeader("Last-Event-ID") != null || ctx.request().getParam("last_event_id") != null;
    long after = TaskEventStreams.lastEventId(ctx);
    slots.acquire(caller).onSuccess(slot -> follow(ctx, caller, resume, after, slot)).onFailure(ctx::fail);
  }

  private void follow(RoutingContext ctx, Caller caller, boolean resume, long after, StreamSlots.Slot slot) {
    if (ctx.response().closed()) {
      slot.release(); // the client left while the slot was taken
      return;
    }
    Scope scope = caller.scope();
    Stream s = new Stream(ctx.response(), scope, slot);
    ctx.response().closeHandler(v -> s.close());
    // Follow first, replay after: what commits in between arrives live, and is sent once.
    feed.followScope(scope, s)
        .compose(v -> resume ? TaskEventStreams.replay(after, REPLAY_PAGE, from -> reads.eventsAfter(scope, from, REPLAY_PAGE))
            : Future.succeededFuture(List.<TaskEvent>of()))
        .onSuccess(missed -> {
          HttpServerResponse res = ctx.response();
          TaskEventStreams.head(res);
          res.write(": kiln events of " + caller.apiClientId() + (caller.userId() == null ? "" : "/" + caller.userId()) + "\n\n");
          s.begin(missed);
        })
        .onFailure(e -> {
          s.close();
          ctx.fail(e);
        });
  }

  private final class Stream implements EventFeed.Listener {
    final HttpServerResponse res;
    final Scope scope;
    final StreamSlots.Slot slot;
    /** Ids sent by the replay: the feed may deliver them again (late commits); forgotten after a while. */
    final Set<Long> replayed = new HashSet<>();
    final List<TaskEvent> early = new ArrayList<>();
    boolean live;
    boolean closed;
    long pingTimer = -1;

    Stream(HttpServerResponse res, Scope scope, StreamSlots.Slot slot) {
      this.res = res;
      this.scope = scope;
      this.slot = slot;
    }

    void begin(List<TaskEvent> missed) {
      if (closed) return;
      for (TaskEvent e : missed) {
        replayed.add(e.id());
        res.write(TaskEventStreams.frame(e, urls));
      }
      live = true;
      for (TaskEvent e : early) onEvent(e);
      early.clear();
      pingTimer = vertx.setPeriodic(pingMillis, t -> res.write(": ping\n\n"));
      if (!replayed.isEmpty()) vertx.setTimer(EventFeed.LATE_MILLIS * 2, t -> replayed.clear());
    }

    @Override
    public void onEvent(TaskEvent e) {
      if (closed || !mine(e)) return;
      if (!live) {
        early.add(e);
        return;
      }
      if (replayed.remove(e.id())) return;
      res.write(TaskEventStreams.frame(e, urls));
    }

    /** The feed follows the client; an end user's stream sees that user's tasks only. */
    boolean mine(TaskEvent e) {
      return (scope.apiClientId() == null || scope.apiClientId().equals(e.apiClientId()))
          && (scope.userId() == null || scope.userId().equals(e.userId()));
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
