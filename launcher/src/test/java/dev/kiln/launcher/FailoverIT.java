package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Separate JVMs from the jar: two http+dispatcher nodes (one leads, one stands by) and two
 * workers. The leading dispatcher and then a worker are killed with -9 mid-run; every task
 * still completes exactly once, nothing runs twice at once, and the figures are printed.
 */
class FailoverIT {
  static final int TASKS = 120;
  static final int MAX_CONCURRENCY = 6;

  @RegisterExtension final ProcessCluster cluster = new ProcessCluster("failover-it", 6000, 4);
  private final List<KilnProcess> nodes = new ArrayList<>();

  @Test
  void leadersAndWorkersKilledHungAndRestartedMidRunLoseNothing() throws Exception {
    String db = cluster.db();
    int[] httpPorts = {EmbeddedStores.freePort(), EmbeddedStores.freePort()};
    List<Map<String, String>> envs = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      envs.add(cluster.env(i, "http,dispatcher", Map.of("KILN_HTTP_PORT", String.valueOf(httpPorts[i]))));
      nodes.add(cluster.start("dispatcher-" + i, envs.get(i), "http,dispatcher"));
    }
    for (int i = 0; i < 2; i++) {
      envs.add(cluster.env(2 + i, "worker", Map.of("KILN_WORKER_ID", "fw-" + i, "KILN_WORKER_SLOTS", "4", "KILN_WORKER_QUEUES", "debug")));
      nodes.add(cluster.start("worker-" + i, envs.get(2 + i), "worker"));
    }
    for (KilnProcess p : nodes) p.awaitUp(Duration.ofSeconds(90));

    try (Sql sql = new Sql(db)) {
      sql.update("UPDATE queue_configs SET max_concurrency = ? WHERE queue = 'debug'", MAX_CONCURRENCY);
      Eventually.await("both workers registered", Duration.ofSeconds(30),
          () -> sql.count("SELECT count(*) FROM workers WHERE status = 'active'") == 2);
      int leader = Eventually.await("a leader", Duration.ofSeconds(30), () -> {
        for (int i = 0; i < 2; i++) if (nodes.get(i).output().contains("takes the lead")) return i;
        return null;
      });
      int standby = 1 - leader;
      long epoch = sql.count("SELECT epoch FROM dispatcher_leadership");
      Api api = new Api(httpPorts[standby], KilnNode.ADMIN_KEY);

      ConcurrencySampler sampler = ConcurrencySampler.start(db, "debug");
      for (int i = 0; i < TASKS; i++) {
        api.submit(new JsonObject().put("tool_action", "debug.sleep")
            .put("input", new JsonObject().put("duration_ms", 100 + (i % 5) * 50)));
      }
      Eventually.await("a third done", Duration.ofSeconds(60),
          () -> sql.count("SELECT count(*) FROM tasks WHERE status = 'completed'") >= TASKS / 3);

      long killedAt = System.nanoTime();
      nodes.get(leader).kill();
      Eventually.await("the standby leads", Duration.ofSeconds(10),
          () -> sql.count("SELECT epoch FROM dispatcher_leadership") > epoch);
      double failoverSeconds = (System.nanoTime() - killedAt) / 1e9;

      Eventually.await("two thirds done", Duration.ofSeconds(60),
          () -> sql.count("SELECT count(*) FROM tasks WHERE status = 'completed'") >= 2 * TASKS / 3);
      Eventually.await("worker fw-0 busy", Duration.ofSeconds(30),
          () -> sql.count("SELECT count(*) FROM tasks WHERE status = 'running' AND worker_id = 'fw-0'") > 0
              || sql.count("SELECT count(*) FROM tasks WHERE status IN ('pending', 'running')") == 0);
      long workerKilledAt = System.nanoTime();
      nodes.get(2).kill();
      Eventually.await("fw-0's attempts re-queued", Duration.ofSeconds(20),
          () -> sql.count("SELECT count(*) FROM tasks WHERE status = 'running' AND worker_id = 'fw-0'") == 0);
      double leaseSeconds = (System.nanoTime() - workerKilledAt) / 1e9;

      Eventually.await("all tasks completed", Duration.ofSeconds(120),
          () -> sql.count("SELECT count(*) FROM tasks WHERE status = 'completed'") == TASKS);
      long maxRunning = sampler.max();

      // Phase 2: the killed nodes come back (the worker under its old id); then the leader
      // hangs (SIGSTOP) instead of dying: its lock session times out, the other node leads,
      // and when it wakes it steps down without writing.
      nodes.set(leader, cluster.start("dispatcher-" + leader + "-again", envs.get(leader), "http,dispatcher"));
      nodes.set(2, cluster.start("worker-0-again", envs.get(2), "worker"));
      nodes.get(leader).awaitUp(Duration.ofSeconds(90));
      nodes.get(2).awaitUp(Duration.ofSeconds(90));
      Api back = new Api(httpPorts[leader], KilnNode.ADMIN_KEY);
      for (int i = 0; i < TASKS / 2; i++) {
        back.submit(new JsonObject().put("tool_action", "debug.sleep").put("input", new JsonObject().put("duration_ms", 200)));
      }
      int total = TASKS + TASKS / 2;
      Eventually.await("phase 2 under way", Duration.ofSeconds(60),
          () -> sql.count("SELECT count(*) FROM tasks WHERE status = 'completed'") >= TASKS + TASKS / 8);
      long epoch2 = sql.count("SELECT epoch FROM dispatcher_leadership");
      long stoppedAt = System.nanoTime();
      nodes.get(standby).signal("STOP");
      Eventually.await("the restarted node leads", Duration.ofSeconds(15),
          () -> sql.count("SELECT epoch FROM dispatcher_leadership") > epoch2);
      double hungFailoverSeconds = (System.nanoTime() - stoppedAt) / 1e9;
      nodes.get(standby).signal("CONT");
      Eventually.await("the woken leader steps down", Duration.ofSeconds(15),
          () -> nodes.get(standby).output().contains("Stepping down"));
      Eventually.await("all tasks completed", Duration.ofSeconds(120),
          () -> sql.count("SELECT count(*) FROM tasks WHERE status = 'completed'") == total);
      long maxRunning2 = sampler.stop();

      System.out.printf("failover: a hung (SIGSTOP) leader was replaced %.2f s after it stopped%n", hungFailoverSeconds);
      assertTrue(hungFailoverSeconds < 10, "a hung leader is replaced within 10 s");
      assertTrue(maxRunning2 <= MAX_CONCURRENCY, "max_concurrency held through phase 2: " + maxRunning2);
      assertEquals(total, sql.count("SELECT count(*) FROM task_executions WHERE is_success"), "each task completed exactly once");
      assertEquals(total, sql.count("SELECT count(DISTINCT task_id) FROM task_executions WHERE is_success"));
      assertEquals(0, sql.count("SELECT count(*) FROM task_executions a JOIN task_executions b "
          + "ON a.task_id = b.task_id AND a.attempt < b.attempt AND b.started_at < a.completed_at"),
          "no attempt of a task overlapped another");

      System.out.printf("failover: standby led %.2f s after kill -9 of the leader; "
          + "a killed worker's attempts re-queued %.2f s after kill -9; max running %d (limit %d)%n",
          failoverSeconds, leaseSeconds, maxRunning, MAX_CONCURRENCY);
      assertTrue(failoverSeconds < 10, "fail-over within 10 s");
      assertTrue(maxRunning <= MAX_CONCURRENCY, "max_concurrency held: " + maxRunning);

      assertEquals(0, sql.count("SELECT count(*) FROM tasks WHERE retry_count > 0"), "losses spend no retry");

      assertTrue(sql.count("SELECT count(*) FROM task_executions WHERE outcome = 'worker_lost'") > 0
          || sql.count("SELECT count(*) FROM tasks WHERE lost_count > 0") == 0, "losses are recorded");
    }
  }
}
