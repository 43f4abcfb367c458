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

/**
 * The queue gauges (DESIGN §10), refreshed every {@link Config#intervalMs} by the leader only:
 * {@code kiln_queue_depth{queue,status}}, {@code kiln_queue_running{queue}}, {@code kiln_workers{queue}}, and seed 003's
 * {@code kiln_generation_requests{status}}.
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

  @Override
  public Future<Void> start() {
    timer = vertx.setPeriodic(config.intervalMs(), t -> refresh());
    return Future.succeededFuture();
  }

  @Override
  public void stop() {
    if (timer >= 0) vertx.cancelTimer(timer);
  }

  private void refresh() {
    reads.depths().onSuccess(rows -> {
      Map<String, Long> running = new HashMap<>();
      for (String q : configs.queues()) {
        for (String s : DEPTH_STATUSES) KilnMetrics.set("kiln_queue_depth", Map.of("queue", q, "status", s), 0);
      }
      for (JsonObject r : rows) {
        KilnMetrics.set("kiln_queue_depth", Map.of("queue", r.getString("queue"), "status", r.getString("status")), r.getLong("n"));
        if ("running".equals(r.getString("status"))) running.put(r.getString("queue"), r.getLong("n"));
      }
      for (String q : configs.queues()) KilnMetrics.set("kiln_queue_running", Map.of("queue", q), running.getOrDefault(q, 0L));
    });
    requests.countByStatus().onSuccess(n -> {
      for (String s : GenerationRequests.STATUSES) KilnMetrics.set("kiln_generation_requests", Map.of("status", s), n.getOrDefault(s, 0L));
    });
    Map<String, Integer> live = workers.liveByQueue(System.currentTimeMillis());
    for (String q : configs.queues()) KilnMetrics.set("kiln_workers", Map.of("queue", q), live.getOrDefault(q, 0));
  }
}
