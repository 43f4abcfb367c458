package dev.kiln.worker;

import dev.kiln.common.asset.AssetStore;
import dev.kiln.common.asset.ClusterAssetStore;
import dev.kiln.common.asset.DirectoryAssetStore;
import dev.kiln.common.bus.Addresses;
import dev.kiln.common.config.KilnConfig;
import dev.kiln.common.config.WorkerHost;
import dev.kiln.common.image.BoundedImageDecoder;
import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.task.ErrorCode;
import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.ExecutorRegistry;
import dev.kiln.worker.executor.Outcome;
import dev.kiln.worker.executor.Provider;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker role: announces itself by heartbeat, accepts attempts up to its slots, runs them
 * with the executor its registry has for their {@code tool_action}, publishes progress, and
 * reports each outcome to the dispatcher until it is acknowledged. Needs neither Postgres nor
 * Redis; reads and writes asset bytes through the asset store.
 */
public final class WorkerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerVerticle.class);

  public static final long HEARTBEAT_MILLIS = 1_000;
  /** Progress is published at most this often per attempt (the last one always goes). */
  public static final long PROGRESS_MIN_INTERVAL_MILLIS = 100;
  /** On stop, running attempts get this long to finish before they are handed back. */
  public static final long DRAIN_TIMEOUT_MILLIS = 30_000;
  /** After the drain, unacknowledged reports get this long to go out. */
  public static final long DRAIN_REPORT_MILLIS = 5_000;
  /** How long a stopping worker waits for the leader to note it offline. */
  static final long STOPPED_ACK_MILLIS = 2_000;
  /** Past its timeout plus this, an attempt the dispatcher did not stop is stopped here. */
  public static final long LOCAL_TIMEOUT_GRACE_MILLIS = 2_000;
  public static final String VERSION = "0.1.0";
  /** Where nvidia-smi answers, the GPU gauges are refreshed this often. */
  public static final long GPU_PROBE_MILLIS = 10_000;
  /**
   * Each inference server's health check runs this often; one that fails it has its slots and
   * actions out of the heartbeat until it passes again (a lease's worth of heartbeats later the
   * dispatcher has stopped placing work there).
   */
  public static final long PROVIDER_HEALTH_MILLIS = 2_000;

  private final KilnConfig config;
  private final String workerId;
  private final String clusterNodeId;
  private ExecutorRegistry registry;         // which executor, of which provider, runs each tool_action
  private AssetStore assets;                 // the node's directory, or the HTTP nodes' store over the cluster
  private final Map<String, Attempt> running = new LinkedHashMap<>();   // task_id -> attempt it has (started or queued)
  private final ArrayDeque<Queued> queued = new ArrayDeque<>();  // taken beyond the slots, in order
  private Slots slots;                                                   // each provider's slots, and which answer
  private Reports reports;
  private JsonObject gpu = new JsonObject();
  private String host;
  private boolean draining;
  private long heartbeatTimer;

  /** {@code clusterNodeId}: the cluster member this runs in (null when not clustered), named in heartbeats. */
  public WorkerVerticle(KilnConfig config, String clusterNodeId) {
    this.config = config;
    this.clusterNodeId = clusterNodeId;
    this.workerId = config.workerId() != null ? config.workerId()
        : "w-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** The id this worker heartbeats and reports under. */
  public String workerId() {
    return workerId;
  }

  @Override
  public Future<?> start() {
    reports = new Reports(vertx);
    assets = config.workerHost().assets() == WorkerHost.AssetTransport.CLUSTER
        ? new ClusterAssetStore(vertx, workerId, config.workerHost().assetsTimeoutMs())
        : new DirectoryAssetStore(config.assetDir());
    // Off the event loop: the registry loads and compiles every action's input schema, nvidia-smi may take a while.
    return vertx.executeBlocking(() -> {
      registry = ExecutorRegistry.fromConfig(config, vertx);
      slots = new Slots(registry, config.workerSlots());
      gpu = Gpu.probe(config.workerHost().gpuMemoryMb());
      host = InetAddress.getLocalHost().getHostName();
      return null;
    }, false).compose(v -> Future.all(
        vertx.eventBus().<JsonObject>consumer(Addresses.workerRun(workerId), this::onRun).completion(),
        vertx.eventBus().<JsonObject>consumer(Addresses.workerCancel(workerId), this::onCancel).completion(),
        vertx.eventBus().<JsonObject>consumer(Addresses.workerDrain(workerId), this::onDrain).completion()))
        .onSuccess(v -> {
          heartbeat();
          heartbeatTimer = vertx.setPeriodic(HEARTBEAT_MILLIS, t -> heartbeat());
          if (!slots.servers().isEmpty()) {
            checkHealth();
            vertx.setPeriodic(PROVIDER_HEALTH_MILLIS, t -> checkHealth());
          }
          if (!gpu.isEmpty()) {
            gpuGauges();
            vertx.setPeriodic(GPU_PROBE_MILLIS, t -> vertx.executeBlocking(() -> Gpu.probe(config.workerHost().gpuMemoryMb()), false).onSuccess(g -> {
              gpu = g;
              gpuGauges();
            }));
          }
          LOG.info("Worker {} up: queues {}, {} slots, executors {}{}", workerId, config.workerQueues(),
              slots.total(), registry.providers(), gpu.isEmpty() ? "" : ", GPU " + gpu.getString("gpu_name"));
        });
  }

  /**
   * Drain: take nothing new, let running attempts finish (up to the drain timeout; what is left
   * is stopped and its lease lapses, so the dispatcher re-queues it), then flush the reports
   * for a short while. An unsent report is not lost either: the attempt's lease lapses. Last,
   * the leader is told it stopped, so its row says offline at once, not "draining" until a new
   * leader's sweep: in an all-in-one node the leader stops right after.
   */
  @Override
  public Future<?> stop() {
    draining = true;
    heartbeat();
    return until(running::isEmpty, DRAIN_TIMEOUT_MILLIS)
        .compose(v -> {
          for (Attempt ex : List.copyOf(running.values())) ex.cancel("drain");
          return until(reports::isEmpty, DRAIN_REPORT_MILLIS);
        })
        .onComplete(v -> vertx.cancelTimer(heartbeatTimer))
        .compose(v -> vertx.eventBus().request(Addresses.WORKERS_STOPPED, new JsonObject().put("worker_id", workerId),
            new DeliveryOptions().setSendTimeout(STOPPED_ACK_MILLIS)))
        .otherwiseEmpty(); // no leader to tell: its lease lapses instead
  }

  private Future<Void> until(java.util.function.BooleanSupplier done, long timeoutMillis) {
    Promise<Void> p = Promise.promise();
    long deadline = System.currentTimeMillis() + timeoutMillis;
    if (done.getAsBoolean()) return Future.succeededFuture();
    vertx.setPeriodic(50, t -> {
      if (done.getAsBoolean() || System.currentTimeMillis() > deadline) {
        vertx.cancelTimer(t);
        p.tryComplete();
      }
    });
    return p.future();
  }

  /** Asks each inference server whether it answers; a change goes out in a heartbeat at once. */
  private void checkHealth() {
    for (Provider p : slots.servers()) {
      p.health().onComplete(ar -> {
        KilnMetrics.set("kiln_provider_up", Map.of("worker", workerId, "provider", p.name()), ar.succeeded() ? 1 : 0);
        if (!slots.health(p, ar.succeeded())) return;
        if (ar.succeeded()) LOG.info("Worker {}: provider {} answers again, its {} slots are back", workerId, p.name(), p.slots());
        else LOG.warn("Worker {}: provider {} fails its health check ({}), its {} slots are out", workerId, p.name(),
            ar.cause().getMessage(), p.slots());
        heartbeat();
        startQueued();
      });
    }
  }

  private void gpuGauges() {
    Map<String, String> tags = Map.of("worker", workerId, "gpu", gpu.getString("gpu_name", "unknown"));
    KilnMetrics.set("kiln_gpu_memory_total_bytes", tags, gpu.getLong("gpu_memory_mb", 0L) * 1024 * 1024);
    KilnMetrics.set("kiln_gpu_memory_used_bytes", tags, gpu.getLong("gpu_memory_used_mb", 0L) * 1024 * 1024);
    KilnMetrics.set("kiln_gpu_utilization_percent", tags, gpu.getLong("gpu_utilization", 0L));
  }

  private void heartbeat() {
    // Attempts this worker holds: running, or done with a report not yet acknowledged.
    JsonArray runningNow = new JsonArray();
    running.values().forEach(ex -> runningNow.add(new JsonObject().put("task_id", ex.taskId()).put("attempt", ex.attempt())));
    reports.pending().forEach(r -> runningNow.add(new JsonObject().put("task_id", r.getString("task_id")).put("attempt", r.getInteger("attempt"))));
    JsonObject hb = new JsonObject()
        .put("worker_id", workerId)
        .put("host", host)
        .put("node_id", clusterNodeId)
        .put("queues", new JsonArray(List.copyOf(config.workerQueues())))
        .put("tool_actions", new JsonArray(List.copyOf(slots.actions())))
        .put("providers", new JsonObject(new LinkedHashMap<String, Object>(registry.providers())))
        .put("min_vram_mb", new JsonObject(new LinkedHashMap<String, Object>(registry.minVramMb())))
        .put("slots", slots.total())
        .put("prefetch", config.workerPrefetch())
        .put("running", runningNow)
        .put("draining", draining)
        .put("version", VERSION)
        .put("sent_at", Instant.now().toString())
        .mergeIn(gpu);
    vertx.eventBus().publish(Addresses.WORKERS_HEARTBEAT, hb);
    KilnMetrics.set("kiln_worker_slots_busy", Map.of("worker", workerId), slots.busy());
    KilnMetrics.set("kiln_worker_slots", Map.of("worker", workerId), slots.total());
  }

  /**
   * A hand-off: {@code {attempts: [...]}}, each accepted (started, or queued when every slot is
   * busy and the prefetch has room) or refused, answered {@code {accepted: [keys], refused:
   * [{task_id, attempt, reason}]}}; a single attempt as the body is answered as before.
   */
  private void onRun(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    JsonArray many = body.getJsonArray("attempts");
    if (many == null) {
      String refused = offer(body);
      if (refused == null) msg.reply(new JsonObject().put("accepted", true).put("worker_id", workerId));
      else msg.fail(refused.equals("draining") ? 503 : 429, refused);
      return;
    }
    JsonArray accepted = new JsonArray();
    JsonArray refused = new JsonArray();
    for (Object o : many) {
      JsonObject task = (JsonObject) o;
      String why = offer(task);
      if (why == null) accepted.add(task.getString("task_id") + ":" + task.getInteger("attempt"));
      else refused.add(new JsonObject().put("task_id", task.getString("task_id")).put("attempt", task.getInteger("attempt")).put("reason", why));
    }
    msg.reply(new JsonObject().put("worker_id", workerId).put("accepted", accepted).put("refused", refused));
  }

  /** Takes one attempt (null), or says why not. A repeated hand-off of an attempt it has is taken again. */
  private String offer(JsonObject task) {
    String taskId = task.getString("task_id");
    int attempt = task.getInteger("attempt");
    Attempt already = running.get(taskId);
    if (already != null) return already.attempt() == attempt ? null : "another attempt of this task runs here";
    if (draining) return "draining";
    if (running.size() >= slots.total() + config.workerPrefetch()) return "no free slot";
    String toolAction = task.getString("tool_action");
    Attempt ex = new Attempt(vertx, taskId, attempt, toolAction,
        task.getJsonObject("input", new JsonObject()), task.getJsonObject("images"), assets,
        BoundedImageDecoder.shared(vertx, config.images()), progressSink(taskId, attempt));
    running.put(taskId, ex);
    // A slot of the provider that runs it, or a place in line: an attempt for a busy server waits
    // here while one for another provider of this worker starts.
    if (slots.tryTake(toolAction)) start(ex, task);
    else queued.add(new Queued(ex, task));
    return null;
  }

  /** An attempt taken while every slot was busy: it starts the moment one frees. */
  private record Queued(Attempt attempt, JsonObject task) {}

  /** Runs an attempt in the slot {@link Slots#tryTake} gave it. */
  private void start(Attempt ex, JsonObject task) {
    String toolAction = ex.toolAction();
    Optional<ExecutorRegistry.Entry> entry = registry.entry(toolAction);
    long timeoutMs = task.getLong("timeout_ms", 0L);
    long guard = timeoutMs > 0 ? vertx.setTimer(timeoutMs + LOCAL_TIMEOUT_GRACE_MILLIS, t -> ex.cancel("timeout")) : -1;
    long t0 = System.currentTimeMillis();
    Future<Outcome> outcome = ex.isCancelled() ? Future.succeededFuture(Outcome.retryable(ErrorCode.CANCELLED, "cancelled"))
        : entry.isEmpty()
        ? Future.succeededFuture(Outcome.permanent(ErrorCode.NO_EXECUTOR, "worker " + workerId + " has no executor for " + toolAction))
        : safeRun(entry.get().executor(), ex);
    outcome.recover(e -> Future.succeededFuture(Outcome.crashed(ErrorCode.EXECUTOR_ERROR, e))).onSuccess(o -> {
      if (guard >= 0) vertx.cancelTimer(guard);
      slots.free(toolAction);
      running.remove(ex.taskId(), ex);
      startQueued();
      if (ex.isCancelled()) return; // the dispatcher already settled this attempt (cancel, timeout, undo)
      long runMs = System.currentTimeMillis() - t0;
      // An inference server's slot is a GPU held for the whole run; the in-process stand-ins hold none.
      boolean onGpu = entry.map(en -> en.source().slots() > 0).orElse(false);
      reports.send(o.toJson().put("task_id", ex.taskId()).put("attempt", ex.attempt()).put("worker_id", workerId)
          .put("provider", entry.map(ExecutorRegistry.Entry::provider).orElse(null))
          .put("provider_job_id", ex.providerJobId()).put("logs", ex.logs())
          .put("gpu_seconds", onGpu ? runMs / 1000.0 : 0.0)
          .put("queue", task.getString("queue")).put("run_ms", runMs));
    });
  }

  /**
   * Starts, in order, each waiting attempt whose provider has a free slot now. Taken out of the
   * line first: an attempt that ends at once (cancelled) comes back here before start returns.
   */
  private void startQueued() {
    List<Queued> now = new java.util.ArrayList<>();
    for (var it = queued.iterator(); it.hasNext(); ) {
      Queued q = it.next();
      if (running.get(q.attempt().taskId()) != q.attempt()) {
        it.remove(); // cancelled meanwhile
      } else if (slots.tryTake(q.attempt().toolAction())) {
        it.remove();
        now.add(q);
      }
    }
    now.forEach(q -> start(q.attempt(), q.task()));
  }

  private static Future<Outcome> safeRun(Executor executor, Attempt ex) {
    try {
      return executor.run(ex);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** An admin's drain: no new work from now on; what runs finishes. The process stays up. */
  private void onDrain(Message<JsonObject> msg) {
    draining = true;
    heartbeat();
    LOG.info("Worker {} draining: {} attempts still running", workerId, running.size());
    msg.reply(new JsonObject().put("worker_id", workerId).put("draining", true).put("running", running.size()));
  }

  private void onCancel(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    Attempt ex = running.get(body.getString("task_id"));
    if (ex != null && ex.attempt() == body.getInteger("attempt", -1)) {
      ex.cancel(body.getString("reason", "cancelled"));
      running.remove(ex.taskId(), ex);
    }
  }

  private java.util.function.BiConsumer<Integer, String> progressSink(String taskId, int attempt) {
    long[] last = {0};
    int[] lastValue = {-1};
    return (percent, message) -> vertx.runOnContext(v -> {
      long now = System.currentTimeMillis();
      if (percent == lastValue[0] || (percent < 100 && now - last[0] < PROGRESS_MIN_INTERVAL_MILLIS)) return;
      last[0] = now;
      lastValue[0] = percent;
      vertx.eventBus().publish(Addresses.TASKS_PROGRESS, new JsonObject().put("task_id", taskId).put("attempt", attempt)
          .put("progress", percent).put("message", message).put("worker_id", workerId));
    });
  }
}
