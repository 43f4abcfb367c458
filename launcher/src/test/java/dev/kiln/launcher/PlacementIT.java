package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Placement (issue 13) across three JVMs: two workers serve the image and debug queues, but only
 * one has the image executors (the demo stand-ins); the other has the debug ones alone. The
 * leader hands image work only to the worker that can run it, so none fails with no_executor,
 * while the other keeps taking debug work.
 */
class PlacementIT {
  static final int IMAGES = 24;
  static final int DEBUG_TASKS = 40;

  @RegisterExtension final ProcessCluster cluster = new ProcessCluster("placement-it", 6850, 3);

  @Test
  void imageTasksRunOnlyOnTheWorkerWithTheirExecutorWhileTheOtherTakesDebugWork() throws Exception {
    int httpPort = EmbeddedStores.freePort();
    List<KilnProcess> nodes = List.of(
        cluster.start("http-dispatcher", cluster.env(0, "http,dispatcher", Map.of("KILN_HTTP_PORT", String.valueOf(httpPort))),
            "http,dispatcher"),
        cluster.start("worker-full", cluster.env(1, "worker", Map.of("KILN_WORKER_ID", "worker-full",
            "KILN_WORKER_SLOTS", "2", "KILN_WORKER_QUEUES", "image,debug")), "worker"),
        cluster.start("worker-bare", cluster.env(2, "worker", Map.of("KILN_WORKER_ID", "worker-bare",
            "KILN_WORKER_SLOTS", "4", "KILN_WORKER_QUEUES", "image,debug", "KILN_DEMO_PROVIDERS", "false")), "worker"));
    for (KilnProcess p : nodes) p.awaitUp(Duration.ofSeconds(90));

    Api api = new Api(httpPort, KilnNode.ADMIN_KEY);
    try (Sql sql = new Sql(cluster.db())) {
      Eventually.await("both workers registered", Duration.ofSeconds(30),
          () -> sql.count("SELECT count(*) FROM workers WHERE status = 'active'") == 2);
      // The bare worker has more free slots: without placement most image tasks would go to it.
      for (int i = 0; i < IMAGES; i++) {
        api.submit(new JsonObject().put("tool_action", "image.generate")
            .put("input", new JsonObject().put("prompt", "kiln " + i).put("width", 64).put("height", 64)));
      }
      for (int i = 0; i < DEBUG_TASKS; i++) {
        api.submit(new JsonObject().put("tool_action", "debug.sleep").put("input", new JsonObject().put("duration_ms", 50)));
      }
      Eventually.await("every task ended", Duration.ofSeconds(120), () -> sql.count(
          "SELECT count(*) FROM tasks WHERE status IN ('completed', 'failed', 'timeout', 'cancelled')") == IMAGES + DEBUG_TASKS);

      assertEquals(0, sql.count("SELECT count(*) FROM task_executions WHERE error_code = 'no_executor'"),
          "no attempt went to a worker without its executor");
      assertEquals(List.of(Map.of("worker_id", "worker-full", "provider_name", "demo", "n", (long) IMAGES)),
          sql.rows("SELECT e.worker_id, e.provider_name, count(*) AS n FROM task_executions e JOIN tasks t ON t.id = e.task_id "
              + "WHERE t.queue = 'image' GROUP BY 1, 2"), "every image attempt ran once, on the worker that has the demo executors");
      Map<String, Long> debugBy = new HashMap<>();
      for (Map<String, Object> r : sql.rows("SELECT e.worker_id, count(*) AS n FROM task_executions e JOIN tasks t "
          + "ON t.id = e.task_id WHERE t.queue = 'debug' AND e.is_success GROUP BY 1")) {
        debugBy.put((String) r.get("worker_id"), (Long) r.get("n"));
      }
      assertEquals(DEBUG_TASKS, debugBy.values().stream().mapToLong(Long::longValue).sum(), "every debug task completed: " + debugBy);
      assertTrue(debugBy.getOrDefault("worker-bare", 0L) > 0, "the bare worker was live and took the work it can run: " + debugBy);
    }
  }
}
