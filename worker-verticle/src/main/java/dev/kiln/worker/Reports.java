package dev.kiln.worker;

import dev.kiln.common.bus.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The worker's reports of finished attempts, sent to the dispatcher in batches
 * ({@code {reports: [...]}}, at most {@link #MAX_BATCH}; what finishes while a batch is on its
 * way goes in the next one) and each resent until it is acknowledged: a leaderless moment or a
 * lost reply only delays a report, and the attempt stays named in heartbeats meanwhile, so the
 * dispatcher does not take it for lost. Event-loop only.
 */
final class Reports {
  /** A report is re-sent this long after an unanswered one, doubling up to the max. */
  static final long RETRY_MIN_MILLIS = 250;
  static final long RETRY_MAX_MILLIS = 5_000;
  /** How long the dispatcher has to acknowledge one sending. */
  static final long TIMEOUT_MILLIS = 5_000;
  /** Reports in one message at most. */
  static final int MAX_BATCH = 256;
  /** Batches on their way at once. */
  static final int MAX_IN_FLIGHT = 2;

  private final Vertx vertx;
  private final Map<String, JsonObject> unacked = new LinkedHashMap<>();  // task_id:attempt -> report
  /** Reports due to be sent (new ones, and those whose resend time came). */
  private final Set<String> due = new LinkedHashSet<>();
  private int inFlight;
  private long backoff = RETRY_MIN_MILLIS;

  Reports(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Sends the report (it names {@code task_id} and {@code attempt}) until it is acknowledged. */
  void send(JsonObject report) {
    String key = report.getString("task_id") + ":" + report.getInteger("attempt");
    unacked.put(key, report);
    due.add(key);
    flush();
  }

  /** True when every report was acknowledged: the drain waits for it. */
  boolean isEmpty() {
    return unacked.isEmpty();
  }

  /** The reports not yet acknowledged: their attempts are still this worker's. */
  List<JsonObject> pending() {
    return new ArrayList<>(unacked.values());
  }

  private void flush() {
    while (!due.isEmpty() && inFlight < MAX_IN_FLIGHT) {
      List<String> keys = new ArrayList<>();
      JsonArray batch = new JsonArray();
      for (var it = due.iterator(); it.hasNext() && keys.size() < MAX_BATCH; ) {
        String key = it.next();
        it.remove();
        JsonObject report = unacked.get(key);
        if (report == null) continue;
        keys.add(key);
        batch.add(report);
      }
      if (keys.isEmpty()) return;
      inFlight++;
      vertx.eventBus().<JsonObject>request(Addresses.DISPATCHER_RESULTS, new JsonObject().put("reports", batch),
              new DeliveryOptions().setSendTimeout(TIMEOUT_MILLIS))
          .onComplete(ar -> {
            inFlight--;
            Set<String> acked = new HashSet<>();
            if (ar.succeeded()) {
              for (Object k : ar.result().body().getJsonArray("acks", new JsonArray())) acked.add((String) k);
            }
            for (String k : acked) unacked.remove(k);
            List<String> again = keys.stream().filter(k -> !acked.contains(k) && unacked.containsKey(k)).toList();
            if (again.isEmpty()) {
              backoff = RETRY_MIN_MILLIS;
            } else {
              long wait = backoff;
              backoff = Math.min(backoff * 2, RETRY_MAX_MILLIS);
              vertx.setTimer(wait, t -> {
                due.addAll(again);
                flush();
              });
            }
            flush();
          });
    }
  }
}
