package dev.kiln.worker;

import dev.kiln.common.bus.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The worker's reports of finished attempts, each sent to the dispatcher until it is
 * acknowledged: a leaderless moment or a lost reply only delays a report, and the attempt stays
 * named in heartbeats meanwhile, so the dispatcher does not take it for lost. Event-loop only.
 */
final class Reports {
  /** A report is re-sent this long after an unanswered one, doubling up to the max. */
  static final long RETRY_MIN_MILLIS = 250;
  static final long RETRY_MAX_MILLIS = 5_000;
  /** How long the dispatcher has to acknowledge one sending. */
  static final long TIMEOUT_MILLIS = 5_000;

  private final Vertx vertx;
  private final Map<String, JsonObject> unacked = new LinkedHashMap<>();  // task_id:attempt -> report

  Reports(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Sends the report (it names {@code task_id} and {@code attempt}) until it is acknowledged. */
  void send(JsonObject report) {
    String key = report.getString("task_id") + ":" + report.getInteger("attempt");
    unacked.put(key, report);
    send(key, RETRY_MIN_MILLIS);
  }

  /** True when every report was acknowledged: the drain waits for it. */
  boolean isEmpty() {
    return unacked.isEmpty();
  }

  /** The reports not yet acknowledged: their attempts are still this worker's. */
  List<JsonObject> pending() {
    return new ArrayList<>(unacked.values());
  }

  private void send(String key, long backoff) {
    JsonObject report = unacked.get(key);
    if (report == null) return;
    vertx.eventBus().request(Addresses.DISPATCHER_RESULTS, report, new DeliveryOptions().setSendTimeout(TIMEOUT_MILLIS))
        .onSuccess(ack -> unacked.remove(key))
        .onFailure(e -> vertx.setTimer(backoff, t -> send(key, Math.min(backoff * 2, RETRY_MAX_MILLIS))));
  }
}
