package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.bus.Addresses;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the dashboard shows beside a task and a queue (issue 14): a task's attempts with their
 * errors, each queue's recent wait and run times, and each worker's GPU in use.
 */
class AttemptsAndQueueTimesTest {
  static final int SLEEP_MS = 150;

  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_WORKER_ID", "times-test-worker"));

  @BeforeAll
  static void quickRetries() throws Exception {
    Api.Reply r = kiln.api().send("PUT", "/api/v1/admin/queues/debug", "{\"retry_delay_base\": 50, \"retry_delay_max\": 100}");
    assertEquals(200, r.status(), r.body());
  }

  private static String failOnceThenSucceed(Api as) throws Exception {
    String id = as.submit(new JsonObject().put("tool_action", "debug.sleep")
        .put("input", new JsonObject().put("duration_ms", 20).put("fail_attempts", 1))).getString("id");
    assertEquals("completed", as.awaitEnded(id, Duration.ofSeconds(30)).getString("status"));
    return id;
  }

  @Test
  void aTaskThatFailedOnceShowsBothAttemptsTheFirstWithItsError() throws Exception {
    String id = failOnceThenSucceed(kiln.api());
    Api.Reply r = kiln.api().get("/api/v1/tasks/" + id + "/attempts");
    assertEquals(200, r.status(), r.body());
    JsonArray items = r.json().getJsonArray("items");
    assertEquals(2, items.size(), items.encodePrettily());
    JsonObject first = items.getJsonObject(0);
    JsonObject second = items.getJsonObject(1);
    assertEquals(1, first.getInteger("attempt"));
    assertEquals("failed", first.getString("outcome"));
    assertEquals(false, first.getBoolean("is_success"));
    assertEquals("executor_error", first.getString("error_code"));
    assertTrue(first.getString("error_message").contains("failed attempt 1 on purpose"), first.getString("error_message"));
    assertTrue(first.getString("error_traceback").contains("IllegalStateException"), "the worker's stack trace");
    assertEquals("times-test-worker", first.getString("worker_id"));
    assertEquals(id, first.getString("task_id"));
    assertEquals(2, second.getInteger("attempt"));
    assertEquals("completed", second.getString("outcome"));
    assertEquals(true, second.getBoolean("is_success"));
    assertNull(second.getString("error_code"));
    assertEquals("debug", second.getString("provider_name"));
    assertTrue(second.getDouble("duration_seconds") >= 0.02, "it slept 20 ms: " + second.getDouble("duration_seconds"));
    try (Sql sql = kiln.sql()) {
      assertEquals(2, sql.count("SELECT count(*) FROM task_executions WHERE task_id = ?", UUID.fromString(id)),
          "every row of the task's executions, none made up");
    }
  }

  @Test
  void anotherCallersTaskIsNotFoundAndABadIdIsRefused() throws Exception {
    Api alice = kiln.api().as(KilnNode.FIRST_PARTY_KEY).forUser("alice");
    String id = failOnceThenSucceed(alice);
    assertEquals(2, alice.get("/api/v1/tasks/" + id + "/attempts").json().getJsonArray("items").size());
    assertEquals(2, kiln.api().get("/api/v1/tasks/" + id + "/attempts").json().getJsonArray("items").size(), "an admin sees all");
    String thirdKey = kiln.api().post("/api/v1/admin/clients", "{\"display_name\": \"T\", \"role\": \"third_party\"}")
        .json().getString("api_key");
    for (Api other : List.of(kiln.api().as(KilnNode.FIRST_PARTY_KEY).forUser("bob"), kiln.api().as(thirdKey))) {
      Api.Reply r = other.get("/api/v1/tasks/" + id + "/attempts");
      assertEquals(404, r.status(), r.body());
      assertTrue(r.contentType().startsWith("application/problem+json"));
    }
    assertEquals(404, alice.get("/api/v1/tasks/" + UUID.randomUUID() + "/attempts").status());
    Api.Reply bad = alice.get("/api/v1/tasks/not-a-uuid/attempts");
    assertEquals(400, bad.status(), bad.body());
    assertEquals("invalid_id", bad.json().getString("code"));
    assertEquals(401, alice.anonymous().get("/api/v1/tasks/" + id + "/attempts").status());
  }

  @Test
  void aQueueShowsTheWaitAndRunTimesOfItsRecentAttempts() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ids.add(kiln.api().submit(new JsonObject().put("tool_action", "debug.sleep")
          .put("input", new JsonObject().put("duration_ms", SLEEP_MS))).getString("id"));
    }
    for (String id : ids) assertEquals("completed", kiln.api().awaitEnded(id, Duration.ofSeconds(30)).getString("status"));
    JsonObject debug = kiln.api().get("/api/v1/admin/queues/debug").json();
    assertEquals(3600, debug.getInteger("times_window_seconds"));
    for (String q : List.of("wait_ms", "run_ms")) {
      Long p50 = debug.getLong(q + "_p50");
      Long p95 = debug.getLong(q + "_p95");
      assertNotNull(p50, q + " " + debug.encode());
      assertNotNull(p95, q + " " + debug.encode());
      assertTrue(0 <= p50 && p50 <= p95, q + ": p50 " + p50 + ", p95 " + p95);
    }
    // Of the completed attempts, most slept SLEEP_MS: the figure is in ms, and of what ran.
    assertTrue(debug.getLong("run_ms_p95") >= SLEEP_MS, debug.encode());
    try (Sql sql = kiln.sql()) {
      long slowestWaitMs = sql.count("SELECT max(extract(epoch FROM e.started_at - t.created_at) * 1000)::bigint "
          + "FROM task_executions e JOIN tasks t ON t.id = e.task_id WHERE t.queue = 'debug' AND e.attempt = 1");
      assertTrue(debug.getLong("wait_ms_p95") <= slowestWaitMs + 1, "p95 " + debug.getLong("wait_ms_p95") + " ms, slowest " + slowestWaitMs);
    }
    JsonObject listed = kiln.api().get("/api/v1/admin/queues").json().getJsonArray("items").stream().map(o -> (JsonObject) o)
        .filter(o -> o.getString("queue").equals("debug")).findFirst().orElseThrow();
    assertEquals(debug.getLong("run_ms_p50"), listed.getLong("run_ms_p50"), "the list says the same");
    JsonObject model3d = kiln.api().get("/api/v1/admin/queues/model3d").json();
    assertTrue(model3d.containsKey("run_ms_p50") && model3d.getValue("run_ms_p50") == null, "no attempt ended there: " + model3d.encode());
    assertNull(model3d.getValue("wait_ms_p95"));
  }

  @Test
  void workersShowTheirGpuInUseAndNullWithoutOne() throws Exception {
    // This machine has no GPU: the real worker's fields are there, and null.
    JsonObject w = Eventually.await("worker listed", Duration.ofSeconds(10), () -> worker("times-test-worker"));
    for (String f : List.of("gpu_name", "gpu_memory_mb", "gpu_memory_used_mb", "gpu_utilization_percent")) {
      assertTrue(w.containsKey(f) && w.getValue(f) == null, f + ": " + w.encode());
    }
    // A GPU host's heartbeat, as the worker sends it (GpuTest reads nvidia-smi's lines into these
    // fields): the real worker's next beat, under another id, with no queues to be given work.
    var bus = kiln.node().node.vertx().eventBus();
    Promise<JsonObject> beat = Promise.promise();
    MessageConsumer<JsonObject> c = bus.consumer(Addresses.WORKERS_HEARTBEAT, m -> beat.tryComplete(m.body().copy()));
    c.completion().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    JsonObject hb = beat.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    c.unregister();
    hb.put("worker_id", "gpu-host-1").put("queues", new JsonArray()).put("tool_actions", new JsonArray()).put("slots", 0)
        .put("running", new JsonArray()).put("gpus", new JsonArray().add(new JsonObject().put("index", 0).put("name", "NVIDIA H200")
            .put("memory_mb", 143771))).put("gpu_name", "NVIDIA H200").put("gpu_memory_mb", 143771)
        .put("gpu_memory_used_mb", 512).put("gpu_utilization", 37);
    bus.publish(Addresses.WORKERS_HEARTBEAT, hb);
    JsonObject gpu = Eventually.await("GPU host listed", Duration.ofSeconds(10), () -> worker("gpu-host-1"));
    assertEquals("NVIDIA H200", gpu.getString("gpu_name"));
    assertEquals(143771, gpu.getInteger("gpu_memory_mb"));
    assertEquals(512, gpu.getInteger("gpu_memory_used_mb"));
    assertEquals(37, gpu.getInteger("gpu_utilization_percent"));
  }

  private static JsonObject worker(String id) throws Exception {
    return kiln.api().get("/api/v1/admin/workers").json().getJsonArray("items").stream().map(o -> (JsonObject) o)
        .filter(o -> o.getString("id").equals(id)).findFirst().orElse(null);
  }
}
