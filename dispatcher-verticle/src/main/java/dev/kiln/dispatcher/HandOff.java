package dev.kiln.dispatcher;

import dev.kiln.common.bus.Addresses;
import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.task.AttemptOutcome;
import dev.kiln.task.store.Claimed;
import dev.kiln.task.store.Settlement;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.JsonArray;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands claimed attempts to their worker ({@code kiln.worker.<id>.run}, request/reply), all of a
 * claim's attempts for one worker in one message. An attempt the worker refuses, or that it does
 * not accept in time, is settled {@code handoff_failed} (back to the queue, no retry spent); a
 * worker that did not answer is benched in the {@link WorkerRegistry} until it answers a probe,
 * so a worker the leader cannot reach is sent one hand-off, not hundreds a second.
 */
final class HandOff {
  static final long DEFAULT_TIMEOUT_MS = 5_000;

  /** @param timeoutMs how long a worker has to accept a hand-off */
  record Config(long timeoutMs) {
    Config {
      if (timeoutMs <= 0) throw new IllegalArgumentException("timeoutMs must be > 0");
    }

    static Config defaults() {
      return new Config(DEFAULT_TIMEOUT_MS);
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(HandOff.class);

  private final Vertx vertx;
  private final Config config;
  private final Settler settler;
  private final WorkerRegistry workers;

  HandOff(Vertx vertx, Config config, Settler settler, WorkerRegistry workers) {
    this.vertx = vertx;
    this.config = config;
    this.settler = settler;
    this.workers = workers;
  }

  /**
   * Hands a worker its claimed attempts in one message; an attempt it refuses, or all of them when
   * it does not answer in time, is settled {@code handoff_failed}.
   */
  void send(String workerId, List<Claimed> attempts) {
    JsonArray runs = new JsonArray();
    for (Claimed c : attempts) {
      runs.add(new JsonObject()
          .put("task_id", c.taskId().toString())
          .put("attempt", c.attempt())
          .put("tool_action", c.toolAction())
          .put("queue", c.queue())
          .put("input", c.input())
          // the asset-store keys of its input images: workers have no database to look them up
          .put("images", new JsonObject().put("source_image", c.sourceImage()).put("reference_image", c.referenceImage()))
          .put("timeout_ms", Duration.between(c.startedAt(), c.timeoutAt()).toMillis()));
    }
    long t0 = System.nanoTime();
    vertx.eventBus().<JsonObject>request(Addresses.workerRun(workerId), new JsonObject().put("attempts", runs),
            new DeliveryOptions().setSendTimeout(config.timeoutMs()))
        .onSuccess(ack -> {
          Duration took = Duration.ofNanos(System.nanoTime() - t0);
          Map<String, String> refused = new HashMap<>();
          for (Object o : ack.body().getJsonArray("refused", new JsonArray())) {
            JsonObject r = (JsonObject) o;
            refused.put(r.getString("task_id") + ":" + r.getInteger("attempt"), r.getString("reason"));
          }
          for (Claimed c : attempts) {
            String why = refused.get(c.taskId() + ":" + c.attempt());
            if (why == null) KilnMetrics.dispatched(c.queue(), took);
            else failed(workerId, c, "worker " + workerId + " refused it: " + why, false);
          }
        })
        .onFailure(e -> {
          if (workers.handOffFailed(workerId, System.currentTimeMillis())) {
            LOG.warn("Worker {} did not accept a hand-off ({}): no new work for it until it answers a probe", workerId, e.getMessage());
          }
          for (Claimed c : attempts) failed(workerId, c, "worker " + workerId + " did not accept: " + e.getMessage(), true);
        });
  }

  /** Back to the queue; a worker that did not answer is told to drop it, in case it has it after all. */
  private void failed(String workerId, Claimed c, String why, boolean unanswered) {
    if (unanswered) {
      vertx.eventBus().send(Addresses.workerCancel(workerId), new JsonObject().put("task_id", c.taskId().toString())
          .put("attempt", c.attempt()).put("reason", AttemptOutcome.HANDOFF_FAILED.value()));
    }
    settler.settle(Settlement.decided(c.taskId(), c.attempt(), AttemptOutcome.HANDOFF_FAILED, why));
  }
}
