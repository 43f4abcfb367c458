package dev.kiln.dispatcher;

import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.task.store.GenerationRequests;
import dev.kiln.task.store.TaskReads;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The queue gauges (DESIGN §10), refreshed every {@link Config#intervalMs} by the leader only,
 * from one query per tick ({@link TaskReads#queueSample}) and the worker registry it holds:
 * {@code kiln_queue_depth{queue,status}}, {@code kiln_queue_running{queue}}, {@code kiln_workers{queue}},
 * {@code kiln_queue_oldest_waiting_age_seconds{queue}}, the autoscaling signal
 * {@code kiln_queue_demand{queue}} / {@code kiln_queue_slots{queue}} / {@code kiln_queue_saturation_ratio{queue}},
 * and seed 003's {@code kiln_generation_requests{status}}. A term that ends sets its queue gauges
 * to 0, so a standby never reports what it last saw as leader.
 */
final class QueueMetrics implements LeaderService {
  static final long DEFAULT_INTERVAL_MS = 5_000;

  /** @param intervalMs how often the gauges are read from Postgres and the worker registry */
  record Config(long intervalMs) {
    Config {
      if (intervalMs <= 0) throw new IllegalArgumentException("intervalMs must be > 0");
    }

    static Config defaults() {
      return new Config(DEFAULT_INTERVAL_MS);
    }
  }

  private static final List<String> DEPTH_STATUSES = List.of("pending", "running", "retrying");

  private final Vertx vertx;
  private final Config config;
  private final TaskReads reads;
  private final QueueConfigCache configs;
  private final WorkerRegistry workers;
  private final GenerationRequests requests;
  private long timer = -1;

  QueueMetrics(Vertx vertx, Config config, TaskReads reads, GenerationRequests requests, QueueConfigCache configs,
               WorkerRegistry workers) {
    this.vertx = vertx;
    this.config = config;
    this.reads = reads;
    this.requests = requests;
    this.configs = configs;
    this.workers = workers;
  }

  /** Samples at once (the configs are loaded before a term starts), so a new leader's gauges are there from its start. */
  @Override
  public Future<Void> start() {
    refresh();
    timer = vertx.setPeriodic(config.intervalMs(), t -> refresh());
    return Future.succeededFuture();
  }

  @Override
  public void stop() {
    if (timer >= 0) vertx.cancelTimer(timer);
    for (String q : configs.queues()) publish(q, new Sample(), 0, 0, 0);
  }

  /** One queue's share of the sample. */
  private static final class Sample {
    final Map<String, Long> byStatus = new HashMap<>();
    long due;
    double oldestSeconds;
  }

  private void refresh() {
    reads.queueSample().onSuccess(rows -> {
      Map<String, Sample> samples = new HashMap<>();
      for (JsonObject r : rows) {
        Sample s = samples.computeIfAbsent(r.getString("queue"), q -> new Sample());
        s.byStatus.put(r.getString("status"), r.getLong("n"));
        s.due += r.getLong("due");
        Double oldest = r.getDouble("oldest_s");
        if (oldest != null) s.oldestSeconds = Math.max(s.oldestSeconds, oldest);
      }
      long now = System.currentTimeMillis();
      Map<String, Integer> live = workers.liveByQueue(now);
      Map<String, Integer> slots = workers.liveSlotsByQueue(now);
      Set<String> queues = configs.queues();
      for (String q : queues) {
        var c = configs.get(q);
        publish(q, samples.getOrDefault(q, new Sample()), live.getOrDefault(q, 0), slots.getOrDefault(q, 0),
            c == null ? Integer.MAX_VALUE : c.maxConcurrency());
      }
    });
    requests.countByStatus().onSuccess(n -> {
      for (String s : GenerationRequests.STATUSES) KilnMetrics.set("kiln_generation_requests", Map.of("status", s), n.getOrDefault(s, 0L));
    });
  }

  private static void publish(String q, Sample s, int workers, int slots, int limit) {
    for (String status : DEPTH_STATUSES) {
      KilnMetrics.set("kiln_queue_depth", Map.of("queue", q, "status", status), s.byStatus.getOrDefault(status, 0L));
    }
    KilnMetrics.set("kiln_queue_running", Map.of("queue", q), s.byStatus.getOrDefault("running", 0L));
    KilnMetrics.set("kiln_workers", Map.of("queue", q), workers);
    KilnMetrics.set("kiln_queue_oldest_waiting_age_seconds", Map.of("queue", q), s.oldestSeconds);
    KilnMetrics.set("kiln_queue_demand", Map.of("queue", q), s.due);
    KilnMetrics.set("kiln_queue_slots", Map.of("queue", q), slots);
    KilnMetrics.set("kiln_queue_saturation_ratio", Map.of("queue", q), saturation(s.due, limit, slots));
  }

  /**
   * What an autoscaler scales on: the demand the queue can use (no more than its concurrency
   * limit lets run) over the slots serving it. 0 with nothing to do; +Inf when work waits and no
   * slot serves the queue at all (no finite number says "start the first worker").
   */
  static double saturation(long demand, int limit, int slots) {
    long usable = Math.min(demand, limit);
    if (usable == 0) return 0;
    return slots == 0 ? Double.POSITIVE_INFINITY : (double) usable / slots;
  }
}
