package dev.kiln.dispatcher;

import dev.kiln.common.bus.Addresses;
import dev.kiln.common.redis.Hot;
import dev.kiln.task.TaskEvent;
import dev.kiln.task.store.ProgressReport;
import dev.kiln.task.store.TaskStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress (DESIGN §6): every report a worker publishes goes to Redis at once (what
 * {@code GET /tasks/{id}} overlays), and the latest per attempt reaches Postgres, with a
 * {@code progress} event, at most every {@link Config#flushMs}, many tasks in one statement.
 */
final class ProgressFlusher implements LeaderService {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressFlusher.class);

  static final long DEFAULT_FLUSH_MS = 250;

  /** @param flushMs progress reaches Postgres (and SSE) at most this often per task */
  record Config(long flushMs) {
    Config {
      if (flushMs <= 0) throw new IllegalArgumentException("flushMs must be > 0");
    }

    static Config defaults() {
      return new Config(DEFAULT_FLUSH_MS);
    }
  }

  private final Vertx vertx;
  private final Config config;
  private final TaskStore store;
  private final Hot hot;
  private final Map<String, JsonObject> buffered = new LinkedHashMap<>();
  private MessageConsumer<JsonObject> consumer;
  private long timer = -1;
  private boolean stopped;

  ProgressFlusher(Vertx vertx, Config config, TaskStore store, Hot hot) {
    this.vertx = vertx;
    this.config = config;
    this.store = store;
    this.hot = hot;
  }

  @Override
  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(Addresses.TASKS_PROGRESS, m -> onProgress(m.body()));
    timer = vertx.setPeriodic(config.flushMs(), t -> flush());
    return consumer.completion();
  }

  @Override
  public void stop() {
    stopped = true;
    if (timer >= 0) vertx.cancelTimer(timer);
    if (consumer != null) consumer.unregister();
  }

  private void onProgress(JsonObject p) {
    hot.putProgress(p.getString("task_id"), p);
    buffered.merge(p.getString("task_id"), p, (a, b) -> b.getInteger("attempt") >= a.getInteger("attempt") ? b : a);
  }

  /** Flushes now when one of these tasks has progress waiting, so its events land before its outcome's. */
  Future<Void> flushFor(List<String> taskIds) {
    for (String id : taskIds) if (buffered.containsKey(id)) return flush();
    return Future.succeededFuture();
  }

  private Future<Void> flush() {
    if (buffered.isEmpty() || stopped) return Future.succeededFuture();
    List<ProgressReport> batch = new ArrayList<>(buffered.size());
    for (JsonObject p : buffered.values()) {
      batch.add(new ProgressReport(UUID.fromString(p.getString("task_id")), p.getInteger("attempt"), p.getInteger("progress"),
          p.getString("message")));
    }
    buffered.clear();
    return store.progress(batch)
        .onSuccess(events -> TaskEvent.publish(vertx.eventBus(), events))
        .onFailure(e -> LOG.debug("progress flush failed (it is coarse and ephemeral): {}", e.getMessage()))
        .<Void>mapEmpty();
  }
}
