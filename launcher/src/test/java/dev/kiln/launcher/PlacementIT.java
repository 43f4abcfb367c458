package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.CogServer;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

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

  /**
   * GPU memory: two workers drive the same Cog-style server for image.generate, which needs
   * 16 GB; one worker's GPU has 8 GB, the other's 24 GB (KILN_GPU_MEMORY_MB). Every attempt runs
   * on the large one, and each records its provider and the GPU-seconds the usage API sums.
   */
  @Test
  void anActionThatNeedsMoreGpuMemoryThanAWorkerHasRunsOnlyWhereItFits(@TempDir Path dir) throws Exception {
    Vertx vertx = Vertx.vertx();
    try (CogServer cog = CogServer.start(vertx)) {
      cog.slots(4).runFor(Duration.ofMillis(200)).output("{{data:output.png}}");
      Path providers = dir.resolve("providers.json");
      Files.writeString(providers, new JsonObject()
          .put("providers", new JsonObject().put("cog-a", new JsonObject().put("type", "http").put("url", cog.url()).put("slots", 2)))
          .put("actions", new JsonObject().put("image.generate", new JsonObject().put("provider", "cog-a").put("min_vram_mb", 16_000)))
          .encode());
      int httpPort = EmbeddedStores.freePort();
      Map<String, String> gpuHost = Map.of("KILN_PROVIDERS", providers.toString(), "KILN_DEMO_PROVIDERS", "false",
          "KILN_WORKER_QUEUES", "image");
      List<KilnProcess> nodes = List.of(
          cluster.start("http-dispatcher", cluster.env(0, "http,dispatcher", Map.of("KILN_HTTP_PORT", String.valueOf(httpPort))),
              "http,dispatcher"),
          cluster.start("worker-8gb", cluster.env(1, "worker", with(gpuHost, "KILN_WORKER_ID", "worker-8gb", "KILN_GPU_MEMORY_MB", "8192")), "worker"),
          cluster.start("worker-24gb", cluster.env(2, "worker", with(gpuHost, "KILN_WORKER_ID", "worker-24gb", "KILN_GPU_MEMORY_MB", "24576")), "worker"));
      for (KilnProcess p : nodes) p.awaitUp(Duration.ofSeconds(90));

      Api api = new Api(httpPort, KilnNode.ADMIN_KEY);
      try (Sql sql = new Sql(cluster.db())) {
        Eventually.await("both workers registered", Duration.ofSeconds(30),
            () -> sql.count("SELECT count(*) FROM workers WHERE status = 'active'") == 2);
        Instant from = Instant.now().minusSeconds(1);
        int n = 12;
        for (int i = 0; i < n; i++) {
          api.submit(new JsonObject().put("tool_action", "image.generate").put("input", new JsonObject().put("prompt", "kiln " + i)));
        }
        Eventually.await("every task completed", Duration.ofSeconds(90),
            () -> sql.count("SELECT count(*) FROM tasks WHERE status = 'completed'") == n);
        assertEquals(List.of(Map.of("worker_id", "worker-24gb", "provider_name", "cog-a", "n", (long) n)),
            sql.rows("SELECT worker_id, provider_name, count(*) AS n FROM task_executions GROUP BY 1, 2"),
            "every attempt ran once, on the worker whose GPU holds 16 GB");
        assertEquals(n, cog.predictionsStarted());
        JsonObject one = api.get("/api/v1/tasks?limit=1").json().getJsonArray("items").getJsonObject(0);
        assertEquals("cog-a", one.getString("provider_name"), one.encodePrettily());
        assertEquals(one.getString("id") + "-1", one.getString("provider_job_id"), "the task names the server's prediction");
        assertEquals(0, sql.count("SELECT count(*) FROM task_executions WHERE gpu_seconds < 0.2 OR provider_job_id IS NULL"),
            "each attempt held its server's slot (a GPU) for at least the 200 ms the prediction ran, and names the prediction");
        JsonObject usage = api.get("/api/v1/admin/usage?from=" + from + "&to=" + Instant.now().plusSeconds(1)).json();
        JsonObject total = usage.getJsonObject("total");
        assertEquals(n, total.getInteger("tasks"), usage.encodePrettily());
        assertTrue(total.getDouble("gpu_seconds") >= 0.2 * n, usage.encodePrettily());
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static Map<String, String> with(Map<String, String> base, String... kv) {
    Map<String, String> out = new HashMap<>(base);
    for (int i = 0; i < kv.length; i += 2) out.put(kv[i], kv[i + 1]);
    return out;
  }
}
