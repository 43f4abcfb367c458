package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Retries with backoff, permanent failures and timeouts, through HTTP, the bus and Postgres. */
class RetryAndTimeoutTest {
  static final int BASE_MS = 200;
  static final int MAX_MS = 800;
  static final int TIMEOUT_MS = 400;

  // One slot: a task after a hung one runs only if the hung attempt was really stopped.
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_WORKER_SLOTS", "1"));

  @BeforeAll
  static void start() throws Exception {
    Api.Reply r = kiln.api().send("PUT", "/api/v1/admin/queues/debug", new JsonObject().put("retry_delay_base", BASE_MS)
        .put("retry_delay_max", MAX_MS).put("job_timeout", TIMEOUT_MS).encode());
    assertEquals(200, r.status(), r.body());
  }

  private static List<Map<String, Object>> executions(Sql sql, String id) throws Exception {
    return sql.rows("SELECT attempt, outcome, is_success, error_code, "
        + "(extract(epoch FROM started_at) * 1000)::bigint AS started_ms, "
        + "(extract(epoch FROM completed_at) * 1000)::bigint AS completed_ms "
        + "FROM task_executions WHERE task_id = ? ORDER BY attempt", UUID.fromString(id));
  }

  @Test
  void retryableFailuresAreRetriedWithBackoffUntilTheySucceed() throws Exception {
    String id = kiln.api().submit(new JsonObject().put("tool_action", "debug.sleep")
        .put("input", new JsonObject().put("duration_ms", 20).put("fail_attempts", 2))).getString("id");
    List<Api.Sse> events = kiln.api().events(id, null, Duration.ofSeconds(30));
    JsonObject task = kiln.api().task(id);
    assertEquals("completed", task.getString("status"));
    assertEquals(3, task.getInteger("attempt"));
    assertEquals(2, task.getInteger("retry_count"));
    assertEquals(List.of("created", "started", "retrying", "started", "retrying", "started", "completed"),
        events.stream().map(Api.Sse::event).toList());
    try (Sql sql = kiln.sql()) {
      List<Map<String, Object>> runs = executions(sql, id);
      assertEquals(3, runs.size());
      for (int i = 0; i < 2; i++) {
        assertEquals("failed", runs.get(i).get("outcome"));
        assertEquals("executor_error", runs.get(i).get("error_code"));
        // retry n waits d = min(max, base * 2^(n-1)), jittered into [d/2, d]
        long d = Math.min(MAX_MS, BASE_MS * (1L << i));
        long waited = (Long) runs.get(i + 1).get("started_ms") - (Long) runs.get(i).get("completed_ms");
        assertTrue(waited >= d / 2, "retry " + (i + 1) + " waited " + waited + " ms, at least " + d / 2);
      }
      assertEquals(true, runs.get(2).get("is_success"));
    }
  }

  @Test
  void aLateOrRepeatedReportChangesNothing() throws Exception {
    String id = kiln.api().submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
    JsonObject done = kiln.api().awaitEnded(id, Duration.ofSeconds(30));
    assertEquals("completed", done.getString("status"));
    // What a worker's resent or stale report looks like on the bus, for the attempt that already settled.
    JsonObject late = new JsonObject().put("task_id", id).put("attempt", 1).put("queue", "debug").put("worker_id", "ghost")
        .put("outcome", "failed").put("retryable", false).put("error_code", "executor_error").put("error_message", "late");
    var reply = kiln.node().node.vertx().eventBus().<JsonObject>request(dev.kiln.common.bus.Addresses.DISPATCHER_RESULTS, late)
        .toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(true, reply.body().getBoolean("settled"), "acknowledged, so the sender stops resending");
    JsonObject after = kiln.api().task(id);
    assertEquals("completed", after.getString("status"));
    assertEquals(done.getString("finished_at"), after.getString("finished_at"));
    try (Sql sql = kiln.sql()) {
      assertEquals(1, executions(sql, id).size());
      assertEquals(1, sql.count("SELECT count(*) FROM task_events WHERE task_id = ? AND event_type IN ('completed', 'failed')",
          UUID.fromString(id)));
    }
  }

  @Test
  void aPermanentFailureFailsAtOnce() throws Exception {
    String id = kiln.api().submit(new JsonObject().put("tool_action", "debug.sleep")
        .put("input", new JsonObject().put("fail_permanently", true))).getString("id");
    JsonObject task = kiln.api().awaitEnded(id, Duration.ofSeconds(30));
    assertEquals("failed", task.getString("status"));
    assertEquals(1, task.getInteger("attempt"));
    assertEquals(0, task.getInteger("retry_count"));
    assertEquals("bad_input", task.getString("error_code"));
    try (Sql sql = kiln.sql()) {
      assertEquals(1, executions(sql, id).size());
    }
  }

  @Test
  void retriesStopAtMaxRetries() throws Exception {
    String id = kiln.api().submit(new JsonObject().put("tool_action", "debug.sleep")
        .put("input", new JsonObject().put("duration_ms", 10).put("fail_attempts", 100))).getString("id");
    JsonObject task = kiln.api().awaitEnded(id, Duration.ofSeconds(30));
    int maxRetries = task.getInteger("max_retries");
    assertEquals("failed", task.getString("status"));
    assertEquals(1 + maxRetries, task.getInteger("attempt"), "attempts = 1 + max_retries");
    assertEquals(maxRetries, task.getInteger("retry_count"));
    try (Sql sql = kiln.sql()) {
      assertEquals(1 + maxRetries, executions(sql, id).size());
    }
  }

  @Test
  void anAttemptPastJobTimeoutIsStoppedAndTheTaskEndsTimeout() throws Exception {
    String id = kiln.api().submit(new JsonObject().put("tool_action", "debug.sleep")
        .put("input", new JsonObject().put("hang", true))).getString("id");
    JsonObject task = kiln.api().awaitEnded(id, Duration.ofSeconds(30));
    int maxRetries = task.getInteger("max_retries");
    assertEquals("timeout", task.getString("status"));
    assertEquals("timeout", task.getString("error_code"));
    assertEquals(1 + maxRetries, task.getInteger("attempt"));
    try (Sql sql = kiln.sql()) {
      for (Map<String, Object> run : executions(sql, id)) {
        assertEquals("timeout", run.get("outcome"));
        long ran = (Long) run.get("completed_ms") - (Long) run.get("started_ms");
        assertTrue(ran >= TIMEOUT_MS, "an attempt ends only past job_timeout, ran " + ran + " ms");
      }
    }
    // The worker stopped the hung attempts: its one slot is free for new work.
    String after = kiln.api().submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
    assertEquals("completed", kiln.api().awaitEnded(after, Duration.ofSeconds(30)).getString("status"));
  }
}
