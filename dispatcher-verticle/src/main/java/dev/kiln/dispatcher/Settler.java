package dev.kiln.dispatcher;

import dev.kiln.common.bus.Addresses;
import dev.kiln.common.db.GroupCommit;
import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.task.AttemptOutcome;
import dev.kiln.task.TaskStatus;
import dev.kiln.task.store.Settled;
import dev.kiln.task.store.Settlement;
import dev.kiln.task.store.TaskStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
 * Settles attempts: the workers' reports ({@code kiln.dispatcher.results}), the owners' cancels of
 * running tasks ({@code kiln.dispatcher.cancel}), and what the rescuer, the worker watch and the
 * hand-off find. Settlements arriving together are settled together (one transaction, see the
 * task core's TaskSettle); one attempt's settlement in flight is never submitted twice. A
 * settlement that won frees its slot, announces its event and wakes its queue.
 */
final class Settler implements LeaderService {
  private static final Logger LOG = LoggerFactory.getLogger(Settler.class);

  static final int DEFAULT_MAX_BATCH = 256;
  /** Few and large: a settlement statement's fixed cost is most of a small one's. */
  static final int DEFAULT_MAX_IN_FLIGHT = 2;
  /** A task back in line after a failed hand-off is claimed again this much later, not in a tight loop. */
  static final long DEFAULT_HANDOFF_REQUEUE_DELAY_MS = 100;

  /**
   * @param maxBatch most settlements in one transaction
   * @param maxInFlight settlement transactions at once, each on its own connection
   * @param handoffRequeueDelayMs how long after a failed hand-off its queue is woken again
   */
  record Config(int maxBatch, int maxInFlight, long handoffRequeueDelayMs) {
    Config {
      if (maxBatch < 1 || maxInFlight < 1 || handoffRequeueDelayMs < 0) throw new IllegalArgumentException("bad settler config");
    }

    static Config defaults() {
      return new Config(DEFAULT_MAX_BATCH, DEFAULT_MAX_IN_FLIGHT, DEFAULT_HANDOFF_REQUEUE_DELAY_MS);
    }
  }

  private final Vertx vertx;
  private final TaskStore store;
  private final SlotBook slots;
  private final Claimers claimers;
  private final ProgressFlusher progress;
  private final GroupCommit<Settlement, Settled> batches;
  private final Map<String, Future<Boolean>> inFlight = new HashMap<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final Set<Long> timers = new HashSet<>();
  private final long handoffRequeueDelayMs;
  private boolean stopped;

  Settler(Vertx vertx, Config config, long epoch, TaskStore store, QueueConfigCache configs, SlotBook slots, Claimers claimers,
          ProgressFlusher progress) {
    this.vertx = vertx;
    this.store = store;
    this.slots = slots;
    this.claimers = claimers;
    this.progress = progress;
    this.batches = new GroupCommit<>(list -> store.settle(epoch, list, configs::backoff).map(won -> {
      Map<String, Settled> byKey = new HashMap<>();
      for (Settled s : won) byKey.put(s.settlement().key(), s);
      List<Settled> out = new ArrayList<>(list.size());
      for (Settlement s : list) out.add(byKey.remove(s.key()));
      return out;
    }), config.maxBatch(), config.maxInFlight());
    this.handoffRequeueDelayMs = config.handoffRequeueDelayMs();
  }

  @Override
  public Future<Void> start() {
    var bus = vertx.eventBus();
    consumers.add(bus.<JsonObject>consumer(Addresses.DISPATCHER_RESULTS, this::onReport));
    consumers.add(bus.<JsonObject>consumer(Addresses.DISPATCHER_CANCEL, this::onCancel));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  @Override
  public void stop() {
    stopped = true;
    consumers.forEach(MessageConsumer::unregister);
    timers.forEach(vertx::cancelTimer);
  }

  /**
   * Settles one attempt; true when this settlement won. The same attempt asked again while its
   * settlement is in flight gets that settlement's answer, not a second one.
   */
  Future<Boolean> settle(Settlement s) {
    Future<Boolean> pending = inFlight.get(s.key());
    if (pending != null) return pending;
    Future<Boolean> f = batches.submit(s).map(won -> {
      if (won != null) settled(won);
      return won != null;
    });
    inFlight.put(s.key(), f);
    f.onComplete(ar -> inFlight.remove(s.key()));
    return f;
  }

  /** Whether a settlement of this attempt is in flight (the rescuer does not ask twice). */
  boolean settling(String attemptKey) {
    return inFlight.containsKey(attemptKey);
  }

  /**
   * A worker's reports: {@code {reports: [...]}}, answered {@code {acks: [task_id:attempt, ...]}}
   * with those settled (won, or stale: either way the worker stops resending them); one not
   * acknowledged (this leader is fenced out, or Postgres is away) is sent again. A single report as
   * the body is answered {@code {settled: true}} or a failure.
   */
  private void onReport(Message<JsonObject> m) {
    JsonArray many = m.body().getJsonArray("reports");
    List<JsonObject> reports = new ArrayList<>();
    if (many == null) reports.add(m.body());
    else for (Object o : many) reports.add((JsonObject) o);
    List<Settlement> settlements = new ArrayList<>(reports.size());
    for (JsonObject r : reports) {
      Settlement s = settlement(r);
      if (s == null && many == null) {
        m.fail(400, "unknown outcome " + r.getString("outcome"));
        return;
      }
      if (s != null) settlements.add(s);
    }
    // Progress still buffered for these tasks lands first, so its events precede the outcomes'.
    progress.flushFor(settlements.stream().map(s -> s.taskId().toString()).toList()).transform(x -> {
      List<Future<Boolean>> settled = new ArrayList<>();
      for (Settlement s : settlements) settled.add(settle(s));
      return Future.join(settled).transform(y -> Future.succeededFuture(settled));
    }).onSuccess(settled -> {
      JsonArray acks = new JsonArray();
      Throwable failure = null;
      for (int i = 0; i < settled.size(); i++) {
        if (settled.get(i).succeeded()) acks.add(settlements.get(i).key());
        else failure = settled.get(i).cause();
      }
      if (failure != null) LOG.warn("settling {} reports failed (the worker sends them again): {}", settled.size() - acks.size(),
          failure.getMessage());
      if (many == null) {
        if (acks.isEmpty()) m.fail(503, "not settled: " + failure.getMessage());
        else m.reply(new JsonObject().put("settled", true));
      } else if (acks.isEmpty() && failure != null) {
        m.fail(503, "not settled: " + failure.getMessage());
      } else {
        m.reply(new JsonObject().put("acks", acks));
      }
    });
  }

  /** A report as a settlement; null when its outcome is not one a worker may report. */
  private static Settlement settlement(JsonObject r) {
    AttemptOutcome outcome = AttemptOutcome.parse(r.getString("outcome")).filter(AttemptOutcome::reportable).orElse(null);
    if (outcome == null) return null;
    return new Settlement(UUID.fromString(r.getString("task_id")), r.getInteger("attempt"), outcome,
        r.getBoolean("retryable", false), r.getJsonObject("result"), r.getString("error_code"), r.getString("error_message"),
        r.getString("error_traceback"), r.getJsonArray("assets", new JsonArray()), run(r));
  }

  /** Which provider ran it and what it cost, when the report says (a worker from before issue 13 does not). */
  private static Settlement.Run run(JsonObject r) {
    String provider = r.getString("provider");
    if (provider == null) return null;
    Object gpu = r.getValue("gpu_seconds");
    return new Settlement.Run(provider, r.getString("provider_job_id"), gpu instanceof Number n ? n.doubleValue() : 0,
        r.getString("logs"));
  }

  /**
   * A running attempt's owner cancels it. It goes through the same conditional settlement as the
   * worker's report, so when the two race exactly one wins; the worker is told to stop only then.
   */
  private void onCancel(Message<JsonObject> m) {
    JsonObject c = m.body();
    String taskId = c.getString("task_id");
    int attempt = c.getInteger("attempt");
    settle(Settlement.decided(UUID.fromString(taskId), attempt, AttemptOutcome.CANCELLED, "cancelled by its owner"))
        .onSuccess(won -> {
          if (won) stopOnWorker(c.getString("worker_id"), taskId, attempt, "cancelled");
          m.reply(new JsonObject().put("cancelled", won));
        })
        .onFailure(e -> m.fail(503, "not cancelled: " + e.getMessage()));
  }

  void stopOnWorker(String workerId, String taskId, int attempt, String reason) {
    if (workerId == null) return;
    vertx.eventBus().send(Addresses.workerCancel(workerId),
        new JsonObject().put("task_id", taskId).put("attempt", attempt).put("reason", reason));
  }

  private void settled(Settled s) {
    String queue = s.queue();
    String taskId = s.settlement().taskId().toString();
    slots.release(taskId);
    s.event().publish(vertx.eventBus());
    if (s.startedAt() != null) KilnMetrics.ran(queue, Duration.between(s.startedAt(), OffsetDateTime.now()));
    AttemptOutcome outcome = s.settlement().outcome();
    if (outcome == AttemptOutcome.TIMEOUT) KilnMetrics.timedOut(queue);
    if (s.decision().spendsRetry()) KilnMetrics.retried(queue);
    if (s.status().terminal()) KilnMetrics.finished(queue, s.status().value());
    if (outcome == AttemptOutcome.WORKER_LOST && s.status().waiting()) {
      LOG.info("task {} attempt {} lost with worker {}, re-queued", taskId, s.settlement().attempt(), s.workerId());
    }
    if (stopped) return;
    claimers.wakeStarved();
    if (s.status() == TaskStatus.RETRYING && s.nextRetryAt() != null) {
      wakeLater(queue, Duration.between(OffsetDateTime.now(), s.nextRetryAt()).toMillis());
    }
    if (outcome == AttemptOutcome.HANDOFF_FAILED) wakeLater(queue, handoffRequeueDelayMs);
    else claimers.wake(queue);
  }

  private void wakeLater(String queue, long ms) {
    long[] id = new long[1];
    id[0] = vertx.setTimer(Math.max(1, ms), t -> {
      timers.remove(id[0]);
      claimers.wake(queue);
    });
    timers.add(id[0]);
  }
}
