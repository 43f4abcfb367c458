package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** POST /api/v1/tasks/{id}/cancel on pending, running and finished tasks, and racing completion. */
class CancelTest {
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_WORKER_SLOTS", "1"));

  private static String submit(JsonObject input) throws Exception {
    return kiln.api().submit(new JsonObject().put("tool_action", "debug.sleep").put("input", input)).getString("id");
  }

  @Test
  void aPendingTaskIsCancelledAtOnceAndNeverRuns() throws Exception {
    try (Sql sql = kiln.sql()) {
      sql.update("UPDATE queue_configs SET is_active = false WHERE queue = 'debug'");
      try {
        String id = submit(new JsonObject().put("duration_ms", 10));
        Api.Reply r = kiln.api().post("/api/v1/tasks/" + id + "/cancel", "");
        assertEquals(200, r.status(), r.body());
        assertEquals("cancelled", r.json().getString("status"));
        assertEquals(List.of("created", "cancelled"), kiln.api().events(id, null, Duration.ofSeconds(10)).stream().map(Api.Sse::event).toList());
      } finally {
        sql.update("UPDATE queue_configs SET is_active = true WHERE queue = 'debug'");
      }
      String later = submit(new JsonObject().put("duration_ms", 10));
      kiln.api().awaitStatus(later, "completed", Duration.ofSeconds(30));
      assertEquals(0, sql.count("SELECT count(*) FROM task_executions e JOIN tasks t ON t.id = e.task_id WHERE t.status = 'cancelled' AND t.attempt = 0"));
    }
  }

  @Test
  void aRunningTaskIsStoppedOnItsWorker() throws Exception {
    String id = submit(new JsonObject().put("hang", true));
    kiln.api().awaitStatus(id, "running", Duration.ofSeconds(30));
    Api.Reply r = kiln.api().post("/api/v1/tasks/" + id + "/cancel", "");
    assertEquals(200, r.status(), r.body());
    assertEquals("cancelled", r.json().getString("status"));
    List<String> events = kiln.api().events(id, null, Duration.ofSeconds(10)).stream().map(Api.Sse::event).toList();
    assertEquals("cancelled", events.get(events.size() - 1));
    try (Sql sql = kiln.sql()) {
      assertEquals("cancelled", sql.rows("SELECT outcome FROM task_executions WHERE task_id = ?", UUID.fromString(id)).get(0).get("outcome"));
    }
    // The worker has one slot: the next task runs only if the hung attempt was really stopped.
    kiln.api().awaitStatus(submit(new JsonObject().put("duration_ms", 10)), "completed", Duration.ofSeconds(30));
  }

  @Test
  void aFinishedTaskCannotBeCancelled() throws Exception {
    String id = submit(new JsonObject().put("duration_ms", 1));
    kiln.api().awaitStatus(id, "completed", Duration.ofSeconds(30));
    Api.Reply r = kiln.api().post("/api/v1/tasks/" + id + "/cancel", "");
    assertEquals(409, r.status());
    assertEquals("task_finished", r.json().getString("code"));
    assertEquals("completed", r.json().getJsonObject("task").getString("status"));
    assertEquals(404, kiln.api().post("/api/v1/tasks/" + UUID.randomUUID() + "/cancel", "").status());
  }

  @Test
  void cancelRacingCompletionHasExactlyOneWinner() throws Exception {
    int cancelled = 0;
    int completed = 0;
    for (int i = 0; i < 20; i++) {
      String id = submit(new JsonObject().put("duration_ms", 5 + (i % 4) * 5));
      // Started: running, or (a short one) already completed before the poll saw it run.
      Eventually.await(id + " started", Duration.ofSeconds(30), () -> !"pending".equals(kiln.api().task(id).getString("status")));
      Api.Reply r = kiln.api().post("/api/v1/tasks/" + id + "/cancel", "");
      // Ended: each branch below asserts which of completed and cancelled it is.
      JsonObject end = kiln.api().awaitEnded(id, Duration.ofSeconds(20));
      if (r.status() == 200) {
        assertEquals("cancelled", end.getString("status"));
        cancelled++;
      } else {
        assertEquals(409, r.status(), r.body());
        assertEquals("completed", end.getString("status"));
        completed++;
      }
      List<String> terminal = kiln.api().events(id, null, Duration.ofSeconds(10)).stream().map(Api.Sse::event)
          .filter(e -> e.equals("completed") || e.equals("cancelled")).toList();
      assertEquals(List.of(end.getString("status")), terminal, "one terminal event, the winner's");
      try (Sql sql = kiln.sql()) {
        assertEquals(1, sql.count("SELECT count(*) FROM task_executions WHERE task_id = ?", UUID.fromString(id)));
      }
    }
    System.out.printf("cancel race: %d cancels won, %d completions won%n", cancelled, completed);
    assertTrue(cancelled + completed == 20);
  }
}
