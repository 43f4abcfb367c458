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
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The chaos test: an HTTP node, two dispatchers and three workers, each its own JVM. 1,000
 * debug.sleep tasks with a mix of durations and failures run while a random worker is killed
 * with -9 and restarted every few seconds and the leading dispatcher is killed twice. At the
 * end every task is terminal and the history in Postgres is consistent with itself and with
 * the HTTP node's metrics. 2,000 debug.noop tasks (bulk-submitted) are mixed in, so that the
 * batched paths (bulk insert, batch claims, hand-offs and reports, group settlement) run at full
 * speed under the same kills.
 */
class ChaosIT {
  static final int TASKS = 1000;
  static final int NOOPS = 2000;
  static final int MAX_CONCURRENCY = 8;
  static final long SEED = 42;

  @RegisterExtension final ProcessCluster cluster = new ProcessCluster("chaos-it", 6150, 6);
  private final List<KilnProcess> nodes = new ArrayList<>();
  private final Map<String, Map<String, String>> envs = new HashMap<>();

  private KilnProcess start(int index, String name, Map<String, String> env, String roles) throws Exception {
    KilnProcess p = cluster.start(name, env, roles);
    if (index < nodes.size()) nodes.set(index, p);
    else nodes.add(p);
    envs.put(name, env);
    return p;
  }

  @Test
  void aThousandTasksThroughKilledWorkersAndDispatchers() throws Exception {
    String db = cluster.db();
    int[] ports = new int[6];
    for (int i = 0; i < 6; i++) ports[i] = EmbeddedStores.freePort();
    String[] names = {"http", "dispatcher-0", "dispatcher-1", "worker-0", "worker-1", "worker-2"};
    String[] roles = {"http", "dispatcher", "dispatcher", "worker", "worker", "worker"};
    for (int i = 0; i < 6; i++) {
      // Only the HTTP node's port is named: the others' is picked at each (re)start (ProcessCluster.env).
      Map<String, String> extra = new HashMap<>(i == 0 ? Map.of("KILN_HTTP_PORT", String.valueOf(ports[i])) : Map.of());
      if (i == 0) extra.put("KILN_PRICES", "debug.sleep=3"); // credits must come out exact after all of it
      if (i >= 3) extra.putAll(Map.of("KILN_WORKER_ID", names[i], "KILN_WORKER_SLOTS", "4", "KILN_WORKER_QUEUES", "debug"));
      start(i, names[i], cluster.env(i, roles[i], extra), roles[i]);
    }
    for (KilnProcess p : nodes) p.awaitUp(Duration.ofSeconds(120));

    Api api = new Api(ports[0], KilnNode.ADMIN_KEY);
    Api.Reply cfg = api.send("PUT", "/api/v1/admin/queues/debug", new JsonObject().put("max_concurrency", MAX_CONCURRENCY)
        .put("max_retries", 3).put("retry_delay_base", 100).put("retry_delay_max", 1000).put("job_timeout", 10_000).encode());
    assertEquals(200, cfg.status(), cfg.body());
    assertEquals(200, api.post("/api/v1/admin/wallets/grant", "{\"api_client_id\": \"admin\", \"amount\": 1000000}").status());

    Random rnd = new Random(SEED);
    try (Sql sql = new Sql(db)) {
      Eventually.await("three workers registered", Duration.ofSeconds(30),
          () -> sql.count("SELECT count(*) FROM workers WHERE status = 'active'") == 3);
      ConcurrencySampler sampler = ConcurrencySampler.start(db, "debug");
      for (int i = 0; i < TASKS; i++) {
        JsonObject input = new JsonObject().put("duration_ms", 50 + rnd.nextInt(350));
        int kind = rnd.nextInt(100);
        if (kind < 10) input.put("fail_attempts", 1);
        else if (kind < 15) input.put("fail_permanently", true);
        else if (kind < 18) input.put("fail_attempts", 50);
        api.submit(new JsonObject().put("tool_action", "debug.sleep").put("input", input));
        if (i % (TASKS / (NOOPS / 1000)) == 0) {
          io.vertx.core.json.JsonArray noops = new io.vertx.core.json.JsonArray();
          for (int k = 0; k < 1000; k++) noops.add(new JsonObject().put("tool_action", "debug.noop"));
          Api.Reply bulk = api.post("/api/v1/tasks/bulk", new JsonObject().put("tasks", noops).encode());
          assertEquals(202, bulk.status(), bulk.body());
        }
      }

      long start = System.nanoTime();
      int leaderKills = 0;
      int workerKills = 0;
      long deadline = start + Duration.ofMinutes(4).toNanos();
      while (sql.count("SELECT count(*) FROM tasks WHERE status IN ('pending', 'running', 'retrying')") > 0) {
        assertTrue(System.nanoTime() < deadline, "all tasks terminal within 4 minutes");
        double t = (System.nanoTime() - start) / 1e9;
        if (leaderKills < 2 && t > 6 + leaderKills * 12) {
          int leader = leadingDispatcher(sql);
          nodes.get(leader).kill();
          start(leader, names[leader], envs.get(names[leader]), "dispatcher").awaitUp(Duration.ofSeconds(60));
          leaderKills++;
        } else {
          int w = 3 + rnd.nextInt(3);
          nodes.get(w).kill();
          start(w, names[w], envs.get(names[w]), "worker").awaitUp(Duration.ofSeconds(60));
          workerKills++;
        }
        Eventually.await("a few seconds of work", Duration.ofSeconds(10), () -> (System.nanoTime() - start) / 1e9 > t + 3);
      }
      long maxRunning = sampler.stop();
      double seconds = (System.nanoTime() - start) / 1e9;

      Map<String, Long> byStatus = new HashMap<>();
      for (Map<String, Object> r : sql.rows("SELECT status, count(*) AS n FROM tasks GROUP BY status")) {
        byStatus.put((String) r.get("status"), (Long) r.get("n"));
      }
      long executions = sql.count("SELECT count(*) FROM task_executions");
      long lost = sql.count("SELECT count(*) FROM task_executions WHERE outcome = 'worker_lost'");
      System.out.printf("chaos: %d tasks in %.1f s with %d worker and %d leader kills; statuses %s; %d attempts, "
          + "%d lost with their worker; max running %d (limit %d)%n",
          TASKS + NOOPS, seconds, workerKills, leaderKills, byStatus, executions, lost, maxRunning, MAX_CONCURRENCY);

      assertEquals(TASKS + NOOPS, sql.count("SELECT count(*) FROM tasks WHERE status IN ('completed', 'failed', 'timeout', 'cancelled')"));
      assertEquals(0, sql.count("SELECT count(*) FROM tasks WHERE tool_action = 'debug.noop' AND status <> 'completed' "
          + "AND error_code IS DISTINCT FROM 'worker_lost'"), "a no-op ends completed, or lost with its workers for good");
      assertTrue(maxRunning <= MAX_CONCURRENCY, "max_concurrency never exceeded: " + maxRunning);
      assertEquals(byStatus.getOrDefault("completed", 0L), sql.count("SELECT count(*) FROM task_executions WHERE is_success"),
          "each completed task ran to completion exactly once");
      assertEquals(0, sql.count("SELECT count(*) FROM (SELECT task_id FROM task_executions WHERE is_success "
          + "GROUP BY task_id HAVING count(*) > 1) x"), "no task completed twice");
      List<Map<String, Object>> overlaps = sql.rows("SELECT a.task_id, a.attempt AS a_attempt, a.outcome AS a_outcome, "
          + "a.worker_id AS a_worker, a.started_at AS a_start, a.completed_at AS a_end, a.error_code AS a_error, "
          + "b.attempt AS b_attempt, b.outcome AS b_outcome, b.worker_id AS b_worker, b.started_at AS b_start, b.completed_at AS b_end "
          + "FROM task_executions a JOIN task_executions b "
          + "ON a.task_id = b.task_id AND a.attempt < b.attempt AND b.started_at < a.completed_at");
      if (!overlaps.isEmpty()) {
        System.out.println("chaos: overlapping attempts " + overlaps);
        System.out.println("chaos: their events " + sql.rows("SELECT task_id, id, event_type, payload, created_at FROM task_events "
            + "WHERE task_id = ? ORDER BY id", overlaps.get(0).get("task_id")));
      }
      assertEquals(List.of(), overlaps, "no attempts overlapped");
      assertEquals(0, sql.count("SELECT count(*) FROM tasks t WHERE t.attempt <> "
          + "(SELECT count(*) FROM task_executions e WHERE e.task_id = t.id)"), "every attempt is an execution row");
      assertEquals(executions, sql.count("SELECT count(*) FROM task_events WHERE event_type = 'started'"),
          "every attempt has its started event");
      assertEquals(0, sql.count("SELECT count(*) FROM tasks t WHERE (SELECT count(*) FROM task_events e WHERE e.task_id = t.id "
          + "AND e.event_type IN ('completed', 'failed', 'timeout', 'cancelled')) <> 1"), "exactly one terminal event per task");
      assertEquals(0, sql.count("SELECT count(*) FROM tasks t WHERE t.status <> (SELECT e.event_type FROM task_events e "
          + "WHERE e.task_id = t.id ORDER BY e.id DESC LIMIT 1)"), "each task's last event is its status");
      assertEquals(0, sql.count("SELECT count(*) FROM tasks WHERE (input->>'fail_permanently')::boolean AND status = 'completed'"));
      assertEquals(TASKS + NOOPS, sql.count("SELECT count(*) FROM task_events WHERE event_type = 'created'"));
      assertEquals(TASKS + NOOPS, metric(api, "kiln_tasks_submitted_total"), "the HTTP node's metrics agree with Postgres");
      LedgerCheck.assertBalanced(sql);
      assertEquals(1_000_000 - 3 * sql.count("SELECT count(*) FROM tasks WHERE tool_action = 'debug.sleep' AND status = 'completed'"),
          sql.count("SELECT balance FROM wallets WHERE api_client_id = 'admin' AND user_id = ''"),
          "exactly the completed tasks were charged, once each");
    }
    for (KilnProcess p : nodes) {
      assertFalse(p.output().contains("has been blocked"), p.name + " blocked an event loop");
    }
  }

  private int leadingDispatcher(Sql sql) throws Exception {
    String leaderId = (String) sql.rows("SELECT leader_id FROM dispatcher_leadership").get(0).get("leader_id");
    for (int i = 1; i <= 2; i++) {
      if (nodes.get(i).output().contains("Dispatcher " + leaderId + " takes the lead")) return i;
    }
    throw new AssertionError("no running node leads as " + leaderId);
  }

  private static long metric(Api api, String name) throws Exception {
    double sum = 0;
    for (String line : api.get("/metrics").body().split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
    return (long) sum;
  }
}
