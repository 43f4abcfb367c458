package dev.kiln.http.sse;

import dev.kiln.common.bus.Addresses;
import dev.kiln.task.TaskEvent;
import dev.kiln.http.auth.Caller;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code GET /api/v1/events}: the events of all the caller's tasks, one SSE stream that does not
 * end. Postgres is the source (the caller's tasks are known there, not on the bus); the bus only
 * says when to look, so a stream is as live as a task's own. Without {@code Last-Event-ID} it
 * starts at the present; with it, it replays what came after.
 *
 * <p>Event ids are numbered when a transaction writes them, not when it commits, so a lower id
 * can become visible after a higher one was sent. A stream therefore looks back over the ids of
 * the last {@link #LATE_MILLIS} and skips what it sent: an event is lost only if its transaction
 * took longer than that to commit (Kiln's take milliseconds).
 */
public final class CallerEventStreams {
  /**
   * Events of the caller's tasks after $1 not sent yet ($4) ($2 client or null = all, $3 user or
   * null), each row with the newest event id of all (read in the same snapshot): the floor may
   * rise to it later. With nothing to send, one row of nulls still carries it.
   */
  private static final String AFTER =
      "WITH n AS (SELECT coalesce(max(id), 0) AS newest FROM task_events) "
          + "SELECT n.newest, e.id, e.task_id, e.event_type, e.payload, e.created_at FROM n LEFT JOIN LATERAL ("
          + "SELECT e.id, e.task_id, e.event_type, e.payload, e.created_at FROM task_events e JOIN tasks t ON t.id = e.task_id "
          + "WHERE e.id > $1 AND NOT (e.id = ANY($4::bigint[])) "
          + "AND ($2::text IS NULL OR t.api_client_id = $2) AND ($3::text IS NULL OR t.user_id = $3) "
          + "ORDER BY e.id LIMIT " + CallerEventStreams.PAGE + ") e ON true ORDER BY e.id";
  static final int PAGE = 500;
  /** How long a stream keeps looking back for events that committed after later-numbered ones. */
  static final long LATE_MILLIS = 10_000;
  private static final String NEWEST = "SELECT coalesce(max(id), 0) AS id FROM task_events";
  /** Events on the bus within this long are fetched in one query. */
  static final long COALESCE_MILLIS = 25;

  private final Vertx vertx;
  private final Pool pool;
  private final Set<Stream> open = new LinkedHashSet<>();
  private MessageConsumer<JsonObject> consumer;

  public CallerEventStreams(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    this.pool = pool;
  }

  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(Addresses.TASKS_EVENTS, m -> {
      for (Stream s : List.copyOf(open)) s.soon();
    });
    return consumer.completion();
  }

  public void mount(Router api) {
    api.get("/events").handler(this::open);
  }

  private void open(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    boolean resume = ctx.request().getHeader("Last-Event-ID") != null || ctx.request().getParam("last_event_id") != null;
    long after = TaskEventStreams.lastEventId(ctx);
    Future<Long> start = resume ? Future.succeededFuture(after)
        : pool.query(NEWEST).execute().map(rows -> rows.iterator().next().getLong("id"));
    start.onSuccess(from -> {
      HttpServerResponse res = ctx.response();
      res.setChunked(true).setStatusCode(200)
          .putHeader("Content-Type", "text/event-stream; charset=utf-8")
          .putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no");
      res.write(": kiln events of " + caller.clientId() + (caller.userId() == null ? "" : "/" + caller.userId()) + "\n\n");
      Stream s = new Stream(res, caller, from);
      open.add(s);
      res.closeHandler(v -> s.close());
      s.fetch();
    }).onFailure(ctx::fail);
  }

  private final class Stream {
    final HttpServerResponse res;
    final Caller caller;
    /** Every id at or below it was numbered more than LATE_MILLIS ago (or sent, or before the start). */
    long floor;
    /** Ids above the floor already sent. */
    final java.util.TreeSet<Long> sent = new java.util.TreeSet<>();
    /** (when, the newest id then), oldest first: what the floor may rise to once LATE_MILLIS pass. */
    final java.util.ArrayDeque<long[]> horizons = new java.util.ArrayDeque<>();
    boolean fetching;
    boolean again;
    boolean closed;
    long wakeTimer = -1;
    final long pingTimer;
    final long catchUpTimer;

    Stream(HttpServerResponse res, Caller caller, long after) {
      this.res = res;
      this.caller = caller;
      this.floor = after;
      this.pingTimer = vertx.setPeriodic(TaskEventStreams.PING_MILLIS, t -> res.write(": ping\n\n"));
      // The bus may drop a hint; Postgres is asked now and then anyway.
      this.catchUpTimer = vertx.setPeriodic(TaskEventStreams.CATCH_UP_MILLIS, t -> fetch());
    }

    /** Something happened somewhere: look shortly, once for all that happens meanwhile. */
    void soon() {
      if (closed || wakeTimer >= 0) return;
      wakeTimer = vertx.setTimer(COALESCE_MILLIS, t -> {
        wakeTimer = -1;
        fetch();
      });
    }

    void fetch() {
      if (closed) return;
      if (fetching) {
        again = true;
        return;
      }
      fetching = true;
      raiseFloor();
      long asked = System.currentTimeMillis();
      pool.preparedQuery(AFTER).execute(Tuple.of(floor, caller.scopeClientId(), caller.userId(), sent.toArray(new Long[0])))
          .onComplete(ar -> {
        fetching = false;
        if (ar.succeeded()) {
          int rows = 0;
          for (Row r : ar.result()) {
            if (rows++ == 0) horizons.addLast(new long[] {asked, r.getLong("newest")});
            if (r.getLong("id") == null) continue; // nothing new: the row only carries the newest id
            JsonObject e = TaskEvent.of(r);
            sent.add(e.getLong("id"));
            if (!closed) res.write(TaskEventStreams.frame(e));
          }
          if (rows == PAGE) again = true; // a full page: there is more
        }
        if (again) {
          again = false;
          fetch();
        }
      });
    }

    /** Ids numbered long enough ago are final: the floor rises to them, and stops the scan there. */
    void raiseFloor() {
      long cutoff = System.currentTimeMillis() - LATE_MILLIS;
      while (!horizons.isEmpty() && horizons.peekFirst()[0] < cutoff) floor = Math.max(floor, horizons.pollFirst()[1]);
      sent.headSet(floor, true).clear();
    }

    void close() {
      if (closed) return;
      closed = true;
      open.remove(this);
      vertx.cancelTimer(pingTimer);
      vertx.cancelTimer(catchUpTimer);
      if (wakeTimer >= 0) vertx.cancelTimer(wakeTimer);
    }
  }
}
