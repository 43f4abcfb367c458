package dev.kiln.dispatcher;

import dev.kiln.common.time.Iso;
import dev.kiln.common.bus.Addresses;
import dev.kiln.common.db.GroupCommit;
import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.common.redis.Hot;
import dev.kiln.task.ErrorCode;
import dev.kiln.task.TaskJson;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the leading dispatcher does while it leads: queue actors, settlement of outcomes,
 * timeouts and lost workers (the sweep), coarse progress, and queue metrics. Created when the
 * lead is won, stopped when it is lost; every write carries {@link #epoch()}.
 */
final class Leader {
  private static final Logger LOG = LoggerFactory.getLogger(Leader.class);

  /** The sweep: config refresh, retries coming due, timeouts, lost workers, missed hints. */
  static final long SWEEP_MILLIS = 1_000;
  static final long METRICS_MILLIS = 5_000;
  /** Progress reaches Postgres (and SSE) at most this often per task. */
  static final long PROGRESS_FLUSH_MILLIS = 250;
  /** A worker has this long to accept a hand-off. */
  static final long HANDOFF_TIMEOUT_MILLIS = 5_000;
  /** Attempts lost with their worker are re-queued this many times, then the task fails worker_lost. */
  static final int MAX_LOST = 3;
  /** Backoff used only if a task's queue vanished from queue_configs. */
  static final int DEFAULT_RETRY_DELAY_BASE = 1_000;
  static final int DEFAULT_RETRY_DELAY_MAX = 60_000;

  private final Vertx vertx;
  private final Pool pool;
  private final Hot hot;
  private final long epoch;
  private final WorkerRegistry workers = new WorkerRegistry(WorkerRegistry.DEFAULT_LEASE_MILLIS);
  private final Map<String, QueueConfig> configs = new HashMap<>();
  private final Map<String, QueueActor> actors = new HashMap<>();
  private final Map<String, JsonObject> progress = new HashMap<>();
  /** Attempts running per queue as this leader made them; Postgres re-checks in every claim. */
  private final Map<String, Set<String>> running = new HashMap<>();
  /** Queues that had room but found every free slot reserved by another queue's claim in flight. */
  private final Set<String> starved = new HashSet<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final List<Long> timers = new ArrayList<>();
  private final GroupCommit<Tuple, RowSet<Row>> settles;
  private final WebhookSender webhooks;
  private boolean stopped;

  Leader(Vertx vertx, Pool pool, Hot hot, long epoch, WebhookSender webhooks) {
    this.webhooks = webhooks;
    this.vertx = vertx;
    this.pool = pool;
    this.hot = hot;
    this.epoch = epoch;
    this.settles = new GroupCommit<>(pool, (conn, args) -> conn.preparedQuery(DispatchQueries.SETTLE).execute(args));
  }

  Future<Void> start() {
    return refreshConfigs()
        .compose(v -> pool.query(DispatchQueries.RUNNING).execute())
        .compose(rows -> {
          // Held since their claim, not since this takeover, so an attempt its worker never had is
          // found lost before its job_timeout would spend a retry on it.
          long now = System.currentTimeMillis();
          for (Row r : rows) {
            long claimed = Math.min(now, r.getOffsetDateTime("started_at").toInstant().toEpochMilli());
            hold(r.getString("queue"), r.getString("worker_id"), r.getUUID("id").toString(), r.getInteger("attempt"), claimed);
          }
          var bus = vertx.eventBus();
          consumers.add(bus.<JsonObject>consumer(Addresses.DISPATCHER_RESULTS, this::onResult));
          consumers.add(bus.<JsonObject>consumer(Addresses.DISPATCHER_CANCEL, this::onCancel));
          consumers.add(bus.<JsonObject>consumer(Addresses.TASKS_PROGRESS, m -> onProgress(m.body())));
          consumers.add(bus.<JsonObject>consumer(Addresses.TASKS_CREATED, m -> wake(m.body().getString("queue"))));
          consumers.add(bus.<JsonObject>consumer(Addresses.QUEUES_CHANGED, m -> refreshConfigs().onSuccess(v -> wakeAll())));
          consumers.add(bus.<JsonObject>consumer(Addresses.WORKERS_HEARTBEAT, m -> onHeartbeat(m.body())));
          consumers.add(bus.<JsonObject>localConsumer(Addresses.CLUSTER_NODE_LEFT, m -> onNodeLeft(m.body().getString("node_id"))));
          timers.add(vertx.setPeriodic(SWEEP_MILLIS, t -> sweep()));
          timers.add(vertx.setPeriodic(PROGRESS_FLUSH_MILLIS, t -> flushProgress()));
          timers.add(vertx.setPeriodic(METRICS_MILLIS, t -> queueMetrics()));
          timers.add(vertx.setPeriodic(SWEEP_MILLIS, t -> webhooks.sendDue()));
          return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).<Void>mapEmpty();
        })
        .onSuccess(v -> LOG.info("Leading with epoch {}: queues {}", epoch, configs.keySet()));
  }

  void stop() {
    stopped = true;
    consumers.forEach(MessageConsumer::unregister);
    timers.forEach(vertx::cancelTimer);
    webhooks.close();
  }

  boolean stopped() {
    return stopped;
  }

  long epoch() {
    return epoch;
  }

  Pool pool() {
    return pool;
  }

  Logger log() {
    return LOG;
  }

  WorkerRegistry workers() {
    return workers;
  }

  /** How many more attempts the queue may start, as far as this leader knows. */
  int room(String queue) {
    QueueConfig cfg = configs.get(queue);
    return cfg == null ? 0 : cfg.maxConcurrency() - running.getOrDefault(queue, Set.of()).size();
  }

  void hold(String queue, String workerId, String taskId, int attempt, long since) {
    running.computeIfAbsent(queue, q -> new HashSet<>()).add(taskId);
    workers.hold(workerId, new WorkerRegistry.Held(taskId, attempt, queue, since));
  }

  private void release(String queue, String workerId, String taskId) {
    Set<String> r = running.get(queue);
    if (r != null) r.remove(taskId);
    workers.release(workerId, taskId);
    wakeStarved();
  }

  void starved(String queue) {
    starved.add(queue);
  }

  /** Slots came free (a settle, or a claim that used fewer than it reserved): retry starved queues. */
  void wakeStarved() {
    if (starved.isEmpty()) return;
    List<String> queues = List.copyOf(starved);
    starved.clear();
    queues.forEach(this::wake);
  }

  QueueConfig config(String queue) {
    return configs.get(queue);
  }

  private Future<Void> refreshConfigs() {
    return pool.query(DispatchQueries.QUEUE_CONFIGS).execute().map(rows -> {
      for (Row r : rows) {
        QueueConfig c = QueueConfig.of(r);
        configs.put(c.name(), c);
        actors.computeIfAbsent(c.name(), q -> new QueueActor(this, q));
        KilnMetrics.set("kiln_queue_concurrency_limit", Map.of("queue", c.name()), c.maxConcurrency());
      }
      return null;
    });
  }

  private void wake(String queue) {
    QueueActor a = actors.get(queue);
    if (a != null && !stopped) a.wake();
  }

  private void wakeAll() {
    actors.keySet().forEach(this::wake);
  }

  private void onHeartbeat(JsonObject hb) {
    long now = System.currentTimeMillis();
    if (workers.isNew(hb, now)) {
      LOG.info("Worker {} joined: queues {}, {} slots", hb.getString("worker_id"), hb.getJsonArray("queues"), hb.getInteger("slots"));
    }
    if (workers.needsRecord(hb, now)) {
      pool.preparedQuery(DispatchQueries.UPSERT_WORKER).execute(Tuple.of(hb.getString("worker_id"), hb.getString("host"),
          hb.getJsonArray("queues").getList().toArray(new String[0]), hb.getInteger("slots"), hb.getString("gpu_name"),
          hb.getInteger("gpu_memory_mb"), hb.getString("version"), hb.getBoolean("draining") ? "draining" : "active"))
          .onFailure(e -> LOG.warn("could not record worker {}: {}", hb.getString("worker_id"), e.getMessage()));
    }
    for (WorkerRegistry.Held lost : workers.heartbeat(hb, now)) {
      settle(lost.taskId(), lost.attempt(), "lost", lost.queue(), new JsonObject().put("error_code", ErrorCode.WORKER_LOST)
          .put("error_message", "worker " + hb.getString("worker_id") + " does not have attempt " + lost.attempt()));
    }
    wakeAll();
  }

  Future<Message<Object>> sendRun(String workerId, JsonObject run) {
    return vertx.eventBus().request(Addresses.workerRun(workerId), run,
        new DeliveryOptions().setSendTimeout(HANDOFF_TIMEOUT_MILLIS));
  }

  /** The worker did not accept: put the task back and make sure the worker does not run it. */
  void undo(String queue, String taskId, int attempt, String workerId, String why) {
    vertx.eventBus().send(Addresses.workerCancel(workerId),
        new JsonObject().put("task_id", taskId).put("attempt", attempt).put("reason", "handoff_failed"));
    pool.preparedQuery(DispatchQueries.UNDO)
        .execute(Tuple.of(epoch, UUID.fromString(taskId), attempt, "worker " + workerId + " did not accept: " + why))
        .onComplete(ar -> {
          release(queue, workerId, taskId);
          if (ar.failed()) LOG.warn("undo of {} failed (the sweep retries): {}", taskId, ar.cause().getMessage());
          vertx.setTimer(100, t -> wake(queue));
        });
  }

  private void onResult(Message<JsonObject> m) {
    JsonObject r = m.body();
    String kind = r.getString("outcome");
    if (!"completed".equals(kind) && !"failed".equals(kind)) {
      m.fail(400, "unknown outcome " + kind);
      return;
    }
    // Progress still buffered for this task lands first, so its events precede the outcome's.
    Future<Void> before = progress.containsKey(r.getString("task_id")) ? flushProgress() : Future.succeededFuture();
    before.transform(x -> settle(r.getString("task_id"), r.getInteger("attempt"), kind, r.getString("queue"), r))
        .onSuccess(won -> m.reply(new JsonObject().put("settled", true)))
        .onFailure(e -> {
          LOG.warn("settling {} attempt {} failed (the worker sends it again): {}", r.getString("task_id"), r.getInteger("attempt"),
              e.getMessage());
          m.fail(503, "not settled: " + e.getMessage());
        });
  }

  /**
   * A running attempt's owner cancels it. It goes through the same conditional settlement as
   * the worker's report, so when the two race exactly one wins; the worker is told to stop.
   */
  private void onCancel(Message<JsonObject> m) {
    JsonObject c = m.body();
    String taskId = c.getString("task_id");
    int attempt = c.getInteger("attempt");
    settle(taskId, attempt, "cancelled", c.getString("queue"), new JsonObject()
        .put("error_code", ErrorCode.CANCELLED).put("error_message", "cancelled by its owner"))
        .onSuccess(won -> {
          if (won) {
            vertx.eventBus().send(Addresses.workerCancel(c.getString("worker_id")),
                new JsonObject().put("task_id", taskId).put("attempt", attempt).put("reason", "cancelled"));
          }
          m.reply(new JsonObject().put("cancelled", won));
        })
        .onFailure(e -> m.fail(503, "not cancelled: " + e.getMessage()));
  }

  /**
   * Settles one attempt (kind: completed, failed, timeout, lost, cancelled). True when this
   * settled it; a stale, repeated or losing report settles nothing and gets false.
   */
  Future<Boolean> settle(String taskId, int attempt, String kind, String queue, JsonObject r) {
    QueueConfig cfg = configs.get(queue);
    Tuple args = Tuple.tuple()
        .addLong(epoch)
        .addUUID(UUID.fromString(taskId))
        .addInteger(attempt)
        .addString(kind)
        .addBoolean(r.getBoolean("retryable", false))
        .addValue(r.getJsonObject("result"))
        .addString(r.getString("error_code"))
        .addString(r.getString("error_message"))
        .addInteger(MAX_LOST)
        .addDouble((double) (cfg == null ? DEFAULT_RETRY_DELAY_BASE : cfg.retryDelayBase()))
        .addDouble((double) (cfg == null ? DEFAULT_RETRY_DELAY_MAX : cfg.retryDelayMax()))
        .addString(r.getString("error_traceback"))
        .addValue(r.getJsonArray("assets", new JsonArray()));
    return settles.submit(args).compose(rows -> {
      for (Row row : rows) settled(taskId, attempt, kind, row);
      if (rows.size() > 0) return Future.succeededFuture(true);
      // Nothing settled: a stale report (acknowledge it), or this leader was fenced out by a
      // newer one (do not: the sender must resend it to the leader that can settle it).
      return pool.preparedQuery(DispatchQueries.EPOCH).execute().compose(e -> e.iterator().next().getLong("epoch") == epoch
          ? Future.succeededFuture(false)
          : Future.failedFuture(new IllegalStateException("deposed: epoch " + epoch + " is no longer the lead")));
    });
  }

  private void settled(String taskId, int attempt, String kind, Row row) {
    String queue = row.getString("queue");
    String status = row.getString("status");
    release(queue, row.getString("worker_id"), taskId);
    publishEvent(row.getLong("event_id"), taskId, row.getString("event_type"), row.getJsonObject("payload"),
        row.getOffsetDateTime("event_created_at"));
    OffsetDateTime started = row.getOffsetDateTime("started_at");
    if (started != null) KilnMetrics.ran(queue, Duration.between(started, OffsetDateTime.now()));
    if ("timeout".equals(kind)) KilnMetrics.timedOut(queue);
    switch (status) {
      case "retrying", "pending" -> {
        if ("lost".equals(kind)) {
          LOG.info("task {} attempt {} lost with worker {}, re-queued", taskId, attempt, row.getString("worker_id"));
        } else {
          KilnMetrics.retried(queue);
        }
        long due = Duration.between(OffsetDateTime.now(), row.getOffsetDateTime("next_retry_at")).toMillis();
        vertx.setTimer(Math.max(1, due), t -> wake(queue));
      }
      default -> KilnMetrics.finished(queue, status);
    }
    wake(queue);
  }

  private void sweep() {
    if (stopped) return;
    refreshConfigs().onFailure(e -> LOG.warn("sweep: cannot read queue configs: {}", e.getMessage()));
    wakeAll();
    pool.query(DispatchQueries.TIMED_OUT).execute().onSuccess(rows -> {
      for (Row r : rows) {
        String taskId = r.getUUID("id").toString();
        int attempt = r.getInteger("attempt");
        String workerId = r.getString("worker_id");
        vertx.eventBus().send(Addresses.workerCancel(workerId),
            new JsonObject().put("task_id", taskId).put("attempt", attempt).put("reason", "timeout"));
        settle(taskId, attempt, "timeout", r.getString("queue"), new JsonObject().put("error_code", ErrorCode.TIMEOUT)
            .put("error_message", "attempt " + attempt + " ran past the queue's job_timeout"));
      }
    });
    workersGone(workers.expire(System.currentTimeMillis()), "no heartbeat for " + WorkerRegistry.DEFAULT_LEASE_MILLIS + " ms");
    pool.preparedQuery(DispatchQueries.ORPHANED)
        .execute(Tuple.of(workers.live(System.currentTimeMillis()).toArray(new String[0]), WorkerRegistry.DEFAULT_LEASE_MILLIS))
        .onSuccess(rows -> {
          for (Row r : rows) {
            settle(r.getUUID("id").toString(), r.getInteger("attempt"), "lost", r.getString("queue"), new JsonObject()
                .put("error_code", ErrorCode.WORKER_LOST)
                .put("error_message", "worker " + r.getString("worker_id") + " stopped answering"));
          }
        });
  }

  /**
   * A cluster member left (killed, cut off): its workers are gone now, and what they held is
   * lost now, rather than when their leases lapse. A worker that was only cut off and comes back
   * rejoins by heartbeat; its late reports on these attempts settle nothing.
   */
  private void onNodeLeft(String nodeId) {
    if (nodeId == null || stopped) return;
    List<WorkerRegistry.Worker> gone = workers.left(nodeId);
    workersGone(gone.stream().map(w -> w.id).toList(), "cluster member " + nodeId + " left");
    for (WorkerRegistry.Worker w : gone) {
      for (WorkerRegistry.Held h : List.copyOf(w.held.values())) {
        settle(h.taskId(), h.attempt(), "lost", h.queue(), new JsonObject().put("error_code", ErrorCode.WORKER_LOST)
            .put("error_message", "worker " + w.id + " left the cluster"));
      }
    }
  }

  private void workersGone(List<String> gone, String why) {
    if (gone.isEmpty()) return;
    LOG.warn("Workers gone ({}): {}", why, gone);
    for (String w : gone) pool.preparedQuery(DispatchQueries.WORKER_GONE).execute(Tuple.of(w));
  }

  private void onProgress(JsonObject p) {
    hot.putProgress(p.getString("task_id"), p);
    progress.merge(p.getString("task_id"), p, (a, b) -> b.getInteger("attempt") >= a.getInteger("attempt") ? b : a);
  }

  private Future<Void> flushProgress() {
    if (progress.isEmpty() || stopped) return Future.succeededFuture();
    List<JsonObject> batch = new ArrayList<>(progress.values());
    progress.clear();
    UUID[] ids = new UUID[batch.size()];
    Integer[] attempts = new Integer[batch.size()];
    Integer[] values = new Integer[batch.size()];
    String[] messages = new String[batch.size()];
    for (int i = 0; i < batch.size(); i++) {
      JsonObject p = batch.get(i);
      ids[i] = UUID.fromString(p.getString("task_id"));
      attempts[i] = p.getInteger("attempt");
      values[i] = p.getInteger("progress");
      messages[i] = p.getString("message");
    }
    return pool.preparedQuery(DispatchQueries.PROGRESS).execute(Tuple.of(ids, attempts, values, messages))
        .onSuccess(rows -> {
          for (Row r : rows) {
            publishEvent(r.getLong("id"), r.getUUID("task_id").toString(), "progress", r.getJsonObject("payload"),
                r.getOffsetDateTime("created_at"));
          }
        })
        .onFailure(e -> LOG.debug("progress flush failed (it is coarse and ephemeral): {}", e.getMessage()))
        .<Void>mapEmpty();
  }

  void publishEvent(long id, String taskId, String type, JsonObject payload, OffsetDateTime at) {
    vertx.eventBus().publish(Addresses.TASKS_EVENTS, new JsonObject().put("id", id).put("task_id", taskId)
        .put("event_type", type).put("payload", payload).put("created_at", Iso.of(at)));
  }

  private void queueMetrics() {
    pool.query(DispatchQueries.DEPTH).execute().onSuccess(rows -> {
      Map<String, Long> running = new HashMap<>();
      for (String q : configs.keySet()) {
        for (String s : List.of("pending", "running", "retrying")) KilnMetrics.set("kiln_queue_depth", Map.of("queue", q, "status", s), 0);
      }
      for (Row r : rows) {
        KilnMetrics.set("kiln_queue_depth", Map.of("queue", r.getString("queue"), "status", r.getString("status")), r.getLong("n"));
        if ("running".equals(r.getString("status"))) running.put(r.getString("queue"), r.getLong("n"));
      }
      for (String q : configs.keySet()) KilnMetrics.set("kiln_queue_running", Map.of("queue", q), running.getOrDefault(q, 0L));
    });
    Map<String, Integer> live = workers.liveByQueue(System.currentTimeMillis());
    for (String q : configs.keySet()) KilnMetrics.set("kiln_workers", Map.of("queue", q), live.getOrDefault(q, 0));
  }
}
