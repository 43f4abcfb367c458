package dev.kiln.dispatcher;

import dev.kiln.common.metrics.KilnMetrics;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * One queue's dispatcher: claims as much as free slots and {@code max_concurrency} allow and
 * hands each claimed attempt to its worker. One claim at a time per queue; woken by the
 * created-hint, by settlements, by workers joining, and by the sweep.
 */
final class QueueActor {
  /** Most rows one claim takes. */
  static final int CLAIM_BATCH = 64;

  private final Leader leader;
  private final String queue;
  private boolean busy;
  private boolean again;

  QueueActor(Leader leader, String queue) {
    this.leader = leader;
    this.queue = queue;
  }

  void wake() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    again = false;
    claimRound();
  }

  private void claimRound() {
    QueueConfig cfg = leader.config(queue);
    if (cfg == null || !cfg.isActive() || leader.stopped()) {
      idle();
      return;
    }
    int room = leader.room(queue);
    if (room <= 0) {
      idle();
      return;
    }
    List<String> slots = leader.workers().reserve(queue, Math.min(CLAIM_BATCH, room));
    if (slots.isEmpty()) {
      leader.starved(queue);
      idle();
      return;
    }
    String sql = cfg.enablePriority() ? DispatchQueries.CLAIM_BY_PRIORITY : DispatchQueries.CLAIM_FIFO;
    leader.pool().preparedQuery(sql)
        .execute(Tuple.of(leader.epoch(), queue, slots.size(), slots.toArray(new String[0])))
        .onComplete(ar -> {
          leader.workers().unreserve(slots);
          if (ar.failed()) {
            leader.wakeStarved();
            leader.log().warn("claim on queue {} failed: {}", queue, ar.cause().getMessage());
            idle();
            return;
          }
          RowSet<Row> rows = ar.result();
          for (Row r : rows) handOff(r);
          if (rows.size() < slots.size()) leader.wakeStarved();
          if (rows.size() == slots.size() && !slots.isEmpty()) claimRound(); // there may be more waiting
          else idle();
        });
  }

  private void idle() {
    busy = false;
    if (again) wake();
  }

  private void handOff(Row r) {
    String taskId = r.getUUID("id").toString();
    String workerId = r.getString("worker_id");
    int attempt = r.getInteger("attempt");
    leader.hold(queue, workerId, taskId, attempt, System.currentTimeMillis());
    leader.publishEvent(r.getLong("event_id"), taskId, "started", r.getJsonObject("payload"), r.getOffsetDateTime("event_created_at"));
    OffsetDateTime created = r.getOffsetDateTime("created_at");
    OffsetDateTime started = r.getOffsetDateTime("started_at");
    KilnMetrics.waited(queue, Duration.between(created, started));
    long t0 = System.nanoTime();
    JsonObject run = new JsonObject()
        .put("task_id", taskId)
        .put("attempt", attempt)
        .put("tool_action", r.getString("tool_action"))
        .put("queue", queue)
        .put("input", r.getJsonObject("input"))
        // the asset-store keys of its input images: workers have no database to look them up
        .put("images", new JsonObject().put("source_image", r.getString("source_image"))
            .put("reference_image", r.getString("reference_image")))
        .put("timeout_ms", Duration.between(started, r.getOffsetDateTime("timeout_at")).toMillis());
    leader.sendRun(workerId, run)
        .onSuccess(ack -> KilnMetrics.dispatched(queue, Duration.ofNanos(System.nanoTime() - t0)))
        .onFailure(e -> leader.undo(queue, taskId, attempt, workerId, e.getMessage()));
  }
}
