package dev.kiln.dispatcher;

import dev.kiln.common.bus.Addresses;
import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.task.AttemptOutcome;
import dev.kiln.task.store.Settlement;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the workers (DESIGN §5): their heartbeats (who is alive, what each serves, which
 * attempts it has) and the cluster's membership (a member that leaves takes its workers with it
 * at once, not a lease later). An attempt the leader handed to a worker that its heartbeats stop
 * naming for {@link Config#unknownAttemptMs} is one the worker does not have (it restarted, or
 * the hand-off was lost): it is settled worker_lost.
 */
final class WorkerWatch implements LeaderService {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerWatch.class);

  static final long DEFAULT_UNKNOWN_ATTEMPT_MS = 8_000;
  static final long DEFAULT_RECORD_EVERY_MS = 5_000;

  /**
   * @param unknownAttemptMs an attempt its worker's heartbeats have not named for this long after its hand-off is lost
   * @param recordEveryMs how often a live worker's row in {@code workers} is refreshed (and at once when it changes)
   */
  record Config(long unknownAttemptMs, long recordEveryMs) {
    Config {
      if (unknownAttemptMs <= 0 || recordEveryMs <= 0) throw new IllegalArgumentException("bad worker watch config");
    }

    static Config defaults() {
      return new Config(DEFAULT_UNKNOWN_ATTEMPT_MS, DEFAULT_RECORD_EVERY_MS);
    }
  }

  private final Vertx vertx;
  private final Config config;
  private final HandOff.Config handOff;
  private final WorkerRegistry workers;
  private final SlotBook slots;
  private final WorkerRows rows;
  private final Settler settler;
  private final Claimers claimers;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private boolean stopped;

  WorkerWatch(Vertx vertx, Config config, HandOff.Config handOff, WorkerRegistry workers, SlotBook slots, WorkerRows rows,
              Settler settler, Claimers claimers) {
    this.vertx = vertx;
    this.config = config;
    this.handOff = handOff;
    this.workers = workers;
    this.slots = slots;
    this.rows = rows;
    this.settler = settler;
    this.claimers = claimers;
  }

  @Override
  public Future<Void> start() {
    var bus = vertx.eventBus();
    consumers.add(bus.<JsonObject>consumer(Addresses.WORKERS_HEARTBEAT, m -> onHeartbeat(m.body())));
    consumers.add(bus.<JsonObject>consumer(Addresses.WORKERS_STOPPED, this::onStopped));
    consumers.add(bus.<JsonObject>localConsumer(Addresses.CLUSTER_NODE_LEFT, m -> onNodeLeft(m.body().getString("node_id"))));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  @Override
  public void stop() {
    stopped = true;
    consumers.forEach(MessageConsumer::unregister);
  }

  private void onHeartbeat(JsonObject hb) {
    if (stopped) return;
    long t0 = System.nanoTime();
    long now = System.currentTimeMillis();
    String id = hb.getString("worker_id");
    WorkerRegistry.Change change = workers.heartbeat(hb, now);
    if (change == WorkerRegistry.Change.JOINED) {
      LOG.info("Worker {} joined: queues {}, {} slots", id, hb.getJsonArray("queues"), hb.getInteger("slots"));
    }
    if (workers.needsRecord(id, now, config.recordEveryMs())) {
      rows.record(hb).onFailure(e -> LOG.warn("could not record worker {}: {}", id, e.getMessage()));
    }
    for (SlotBook.Held h : slots.heldOn(id)) {
      if (!workers.names(id, h.key()) && now - h.since() > config.unknownAttemptMs()) {
        settler.settle(Settlement.decided(UUID.fromString(h.taskId()), h.attempt(), AttemptOutcome.WORKER_LOST,
            "worker " + id + " does not have attempt " + h.attempt()));
      }
    }
    if (workers.probeDue(id, now)) probe(id);
    // Only a worker with new capacity is news to the claimers (settlements and the rescuer's
    // sweep wake them otherwise): a fleet's heartbeats then cost no claims.
    if (change != WorkerRegistry.Change.NONE) claimers.wakeAll();
    KilnMetrics.heartbeatHandled(java.time.Duration.ofNanos(System.nanoTime() - t0));
  }

  /**
   * A worker stopped on purpose (SIGTERM, undeploy): forgotten now, its row offline, anything it
   * still held lost now rather than a lease later. Answered once the row is written.
   */
  private void onStopped(Message<JsonObject> m) {
    String id = m.body().getString("worker_id");
    if (stopped || id == null) {
      m.fail(503, "not leading");
      return;
    }
    workers.forget(id);
    LOG.info("Worker {} stopped", id);
    for (SlotBook.Held h : slots.heldOn(id)) {
      settler.settle(Settlement.decided(UUID.fromString(h.taskId()), h.attempt(), AttemptOutcome.WORKER_LOST,
          "worker " + id + " stopped"));
    }
    rows.offline(List.of(id)).onComplete(r -> m.reply(new JsonObject().put("worker_id", id).put("offline", r.succeeded())));
  }

  /**
   * A benched worker is sent an empty hand-off: answered, it takes work again; not, it stays
   * benched and is probed again later. It costs no attempt and no row.
   */
  private void probe(String id) {
    vertx.eventBus().<JsonObject>request(Addresses.workerRun(id), new JsonObject().put("attempts", new JsonArray()),
            new DeliveryOptions().setSendTimeout(handOff.timeoutMs()))
        .onSuccess(ok -> {
          if (stopped || !workers.proved(id)) return;
          LOG.info("Worker {} answered a probe: it takes work again", id);
          claimers.wakeAll();
        })
        .onFailure(e -> workers.handOffFailed(id, System.currentTimeMillis()));
  }

  /**
   * A cluster member left (killed, cut off): its workers are gone now, and what they held is lost
   * now. A worker that was only cut off and comes back rejoins by heartbeat; its late reports on
   * these attempts settle nothing.
   */
  private void onNodeLeft(String nodeId) {
    if (nodeId == null || stopped) return;
    List<String> gone = workers.left(nodeId);
    if (gone.isEmpty()) return;
    LOG.warn("Workers gone (cluster member {} left): {}", nodeId, gone);
    rows.offline(gone);
    for (String w : gone) {
      for (SlotBook.Held h : slots.heldOn(w)) {
        settler.settle(Settlement.decided(UUID.fromString(h.taskId()), h.attempt(), AttemptOutcome.WORKER_LOST,
            "worker " + w + " left the cluster"));
      }
    }
  }
}
