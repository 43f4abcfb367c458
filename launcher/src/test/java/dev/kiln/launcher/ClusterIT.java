package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three JVMs from the built jar on 127.0.0.1: http+dispatcher in one, a worker in each of the
 * others, joined by Hazelcast. Work is spread and the queue's max_concurrency holds.
 */
class ClusterIT {
  static final int MAX_CONCURRENCY = 6;
  static final int TASKS = 200;

  @RegisterExtension final ProcessCluster cluster = new ProcessCluster("cluster-it", 5900, 3);
  private final List<KilnProcess> nodes = new ArrayList<>();

  @Test
  void twoHundredTasksSpreadOverTwoWorkersWithinMaxConcurrency() throws Exception {
    String db = cluster.db();
    int httpPort = EmbeddedStores.freePort();
    nodes.add(cluster.start("http-dispatcher", cluster.env(0, "http,dispatcher", Map.of("KILN_HTTP_PORT", String.valueOf(httpPort))),
        "http,dispatcher"));
    for (int i = 1; i <= 2; i++) {
      nodes.add(cluster.start("worker-" + i, cluster.env(i, "worker", Map.of("KILN_WORKER_ID", "worker-" + i,
          "KILN_WORKER_SLOTS", "4", "KILN_WORKER_QUEUES", "debug")), "worker"));
    }
    for (KilnProcess p : nodes) p.awaitUp(Duration.ofSeconds(90));

    Api api = new Api(httpPort, KilnNode.ADMIN_KEY);
    try (Sql sql = new Sql(db)) {
      sql.update("UPDATE queue_configs SET max_concurrency = ? WHERE queue = 'debug'", MAX_CONCURRENCY);
      Eventually.await("both workers registered", Duration.ofSeconds(30),
          () -> sql.count("SELECT count(*) FROM workers WHERE status = 'active'") == 2);

      ConcurrencySampler sampler = ConcurrencySampler.start(db, "debug");

      for (int i = 0; i < TASKS; i++) {
        api.submit(new JsonObject().put("tool_action", "debug.sleep")
            .put("input", new JsonObject().put("duration_ms", 20 + (i % 7) * 20).put("progress_steps", 2)));
      }
      Eventually.await("all tasks completed", Duration.ofSeconds(120),
          () -> sql.count("SELECT count(*) FROM tasks WHERE status = 'completed'") == TASKS);
      long maxRunning = sampler.stop();

      assertTrue(maxRunning <= MAX_CONCURRENCY, "running never above max_concurrency, sampled " + maxRunning);
      assertTrue(maxRunning >= 2, "tasks did run side by side, sampled " + maxRunning);

      Map<String, Long> perWorker = new HashMap<>();
      for (Map<String, Object> r : sql.rows("SELECT worker_id, count(*) AS n FROM tasks GROUP BY worker_id")) {
        perWorker.put((String) r.get("worker_id"), (Long) r.get("n"));
      }
      assertEquals(2, perWorker.size(), "both workers ran tasks: " + perWorker);
      perWorker.values().forEach(n -> assertTrue(n >= TASKS / 10, "work is spread: " + perWorker));

      assertEquals(TASKS, sql.count("SELECT count(*) FROM task_executions WHERE is_success"));
      assertEquals(0, sql.count("SELECT count(*) FROM tasks WHERE attempt <> 1"), "each task ran once");
      assertTrue(maxOverlap(sql) <= MAX_CONCURRENCY, "executions never overlapped beyond max_concurrency");
    }

    // SIGTERM drains a worker: what runs on it finishes there, nothing is lost or re-run.
    try (Sql sql = new Sql(db)) {
      for (int i = 0; i < 8; i++) {
        api.submit(new JsonObject().put("tool_action", "debug.sleep").put("input", new JsonObject().put("duration_ms", 2000)));
      }
      Eventually.await("worker-1 busy", Duration.ofSeconds(20),
          () -> sql.count("SELECT count(*) FROM tasks WHERE status = 'running' AND worker_id = 'worker-1'") > 0);
      long onWorker1 = sql.count("SELECT count(*) FROM tasks WHERE status = 'running' AND worker_id = 'worker-1'");
      nodes.get(1).terminate(Duration.ofSeconds(40));
      Eventually.await("all done", Duration.ofSeconds(60),
          () -> sql.count("SELECT count(*) FROM tasks WHERE status = 'completed'") == TASKS + 8);
      assertEquals(0, sql.count("SELECT count(*) FROM task_executions WHERE outcome = 'worker_lost'"), "a drain loses nothing");
      assertEquals(onWorker1, sql.count("SELECT count(*) FROM tasks WHERE worker_id = 'worker-1' AND attempt = 1 "
          + "AND (input->>'duration_ms')::int = 2000"), "what ran on the drained worker finished there");
    }
    for (KilnProcess p : nodes) {
      assertFalse(p.output().contains("has been blocked"), p.name + " blocked an event loop:\n" + p.output());
    }
  }

  /** The most executions open at once, from their recorded start and end. */
  private static long maxOverlap(Sql sql) throws Exception {
    List<long[]> edges = new ArrayList<>();
    for (Map<String, Object> r : sql.rows("SELECT (extract(epoch FROM started_at) * 1000000)::bigint AS s, "
        + "(extract(epoch FROM completed_at) * 1000000)::bigint AS e FROM task_executions")) {
      edges.add(new long[] {(Long) r.get("s"), 1});
      edges.add(new long[] {(Long) r.get("e"), -1});
    }
    edges.sort((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
    long open = 0;
    long max = 0;
    for (long[] e : edges) {
      open += e[1];
      max = Math.max(max, open);
    }
    return max;
  }
}
