package dev.kiln.http.sse;

import dev.kiln.http.requests.GenerationRequestRoutes;
import dev.kiln.http.tasks.TaskRoutes;
import dev.kiln.task.store.TaskReads;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

/** The HTTP role's Server-Sent Events: a task's stream, a caller's stream and a generation request's stream, fed by one {@link EventFeed}. */
public final class EventStreams {
  private final EventFeed feed;
  private final TaskEventStreams tasks;
  private final CallerEventStreams callers;
  private final RequestEventStreams requests;

  public EventStreams(Vertx vertx, TaskReads reads, TaskRoutes taskRoutes, GenerationRequestRoutes requestRoutes) {
    this.feed = new EventFeed(vertx, reads);
    this.tasks = new TaskEventStreams(vertx, reads, taskRoutes, feed);
    this.callers = new CallerEventStreams(vertx, reads, feed);
    this.requests = new RequestEventStreams(vertx, reads, requestRoutes, feed);
  }

  public Future<Void> start() {
    return feed.start();
  }

  public void mount(Router api) {
    tasks.mount(api);
    callers.mount(api);
    requests.mount(api);
  }
}
