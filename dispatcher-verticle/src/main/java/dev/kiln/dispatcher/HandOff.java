package dev.kiln.dispatcher;

import dev.kiln.common.bus.Addresses;
import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.task.AttemptOutcome;
import dev.kiln.task.store.Claimed;
import dev.kiln.task.store.Settlement;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * Hands a claimed attempt to its worker ({@code kiln.worker.<id>.run}, request/reply). A worker
 * that does not accept in time gets the attempt settled {@code handoff_failed} (back to the
 * queue, no retry spent) and is told to drop it, in case it has it after all.
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

  private final Vertx vertx;
  private final Config config;
  private final Settler settler;

  HandOff(Vertx vertx, Config config, Settler settler) {
    this.vertx = vertx;
    this.config = config;
    this.settler = settler;
  }

  void send(Claimed c) {
    String taskId = c.taskId().toString();
    JsonObject run = new JsonObject()
        .put("task_id", taskId)
        .put("attempt", c.attempt())
        .put("tool_action", c.toolAction())
        .put("queue", c.queue())
        .put("input", c.input())
        // the asset-store keys of its input images: workers have no database to look them up
        .put("images", new JsonObject().put("source_image", c.sourceImage()).put("reference_image", c.referenceImage()))
        .put("timeout_ms", Duration.between(c.startedAt(), c.timeoutAt()).toMillis());
    long t0 = System.nanoTime();
    vertx.eventBus().request(Addresses.workerRun(c.workerId()), run, new DeliveryOptions().setSendTimeout(config.timeoutMs()))
        .onSuccess(ack -> KilnMetrics.dispatched(c.queue(), Duration.ofNanos(System.nanoTime() - t0)))
        .onFailure(e -> {
          vertx.eventBus().send(Addresses.workerCancel(c.workerId()),
              new JsonObject().put("task_id", taskId).put("attempt", c.attempt()).put("reason", AttemptOutcome.HANDOFF_FAILED.value()));
          settler.settle(Settlement.decided(c.taskId(), c.attempt(), AttemptOutcome.HANDOFF_FAILED,
              "worker " + c.workerId() + " did not accept: " + e.getMessage()));
        });
  }
}
