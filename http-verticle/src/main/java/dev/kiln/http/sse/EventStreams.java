package dev.kiln.http.sse;

import dev.kiln.common.asset.AssetUrls;
import dev.kiln.http.requests.GenerationRequestRoutes;
import dev.kiln.common.config.HttpLimits;
import dev.kiln.common.redis.Hot;
import dev.kiln.http.tasks.TaskRoutes;
import dev.kiln.task.store.TaskReads;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

/**
 * The HTTP role's Server-Sent Events: a task's stream, a caller's stream and a generation
 * request's stream, fed by one {@link EventFeed}, each holding one of its tenant's {@link StreamSlots}.
 */
public final class EventStreams {
  /** A comment line at least this often keeps proxies from closing an idle stream. */
  static final long PING_MILLIS = 15_000;

  private final EventFeed feed;
  private final StreamSlots slots;
  private final TaskEventStreams tasks;
  private final CallerEventStreams callers;
  private final RequestEventStreams requests;

  public EventStreams(Vertx vertx, TaskReads reads, TaskRoutes taskRoutes, GenerationRequestRoutes requestRoutes, Hot hot,
                      HttpLimits limits, AssetUrls urls) {
    this.feed = new EventFeed(vertx, reads);
    this.slots = new StreamSlots(vertx, hot, limits.sseStreamsPerClient(), limits.sseStreamsPerUser());
    long ping = pingMillis(limits.idleTimeoutMs());
    this.tasks = new TaskEventStreams(vertx, reads, taskRoutes, feed, slots, ping, urls);
    this.callers = new CallerEventStreams(vertx, reads, feed, slots, ping, urls);
    this.requests = new RequestEventStreams(vertx, reads, requestRoutes, feed, slots, ping, urls);
  }

  /** Three heartbeats per idle timeout: the server's own idle timeout never cuts a stream that is waiting for events. */
  static long pingMillis(int idleTimeoutMs) {
    return idleTimeoutMs == 0 ? PING_MILLIS : Math.max(10, Math.min(PING_MILLIS, idleTimeoutMs / 3));
  }

  public Future<Void> start() {
    slots.start();
    return feed.start();
  }

  public void mount(Router api) {
    tasks.mount(api);
    callers.mount(api);
    requests.mount(api);
  }
}
