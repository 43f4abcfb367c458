package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code POST /tasks/bulk}: many tasks in one transaction, in order, all or nothing. */
class BulkSubmitTest {
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_PRICES", "debug.sleep=10"));

  private static JsonObject noop(int i) {
    return new JsonObject().put("tool_action", "debug.noop").put("priority", i % 3);
  }

  private static String bulk(List<JsonObject> tasks) {
    return new JsonObject().put("tasks", new JsonArray(new ArrayList<>(tasks))).encode();
  }

  private static long tasks(String where) throws Exception {
    try (Sql sql = kiln.sql()) {
      return sql.count("SELECT count(*) FROM tasks WHERE " + where);
    }
  }

  @Test
  void aThousandTasksAreCreatedInOrderAndRun() throws Exception {
    List<JsonObject> asked = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) asked.add(noop(i));
    Api.Reply r = kiln.api().post("/api/v1/tasks/bulk", bulk(asked));
    assertEquals(202, r.status(), r.body());
    JsonArray items = r.json().getJsonArray("items");
    assertEquals(1_000, items.size());
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      JsonObject t = items.getJsonObject(i);
      assertEquals("pending", t.getString("status"));
      assertEquals(i % 3, t.getInteger("priority"), "answered in the order asked");
      ids.add(t.getString("id"));
    }
    assertEquals(1_000, ids.stream().distinct().count());
    try (Sql sql = kiln.sql()) {
      Eventually.await("all ran", Duration.ofSeconds(60), () -> sql.count(
          "SELECT count(*) FROM tasks WHERE id = ANY(?::uuid[]) AND status = 'completed'", (Object) ids.toArray(new String[0])) == 1_000);
      assertEquals(1_000, sql.count("SELECT count(*) FROM task_events WHERE event_type = 'created' AND task_id = ANY(?::uuid[])",
          (Object) ids.toArray(new String[0])), "each with its created event");
    }
  }

  @Test
  void oneBadTaskRefusesAllOfThemAndNamesIt() throws Exception {
    long before = tasks("true");
    List<JsonObject> asked = new ArrayList<>();
    for (int i = 0; i < 10; i++) asked.add(noop(i));
    asked.set(7, new JsonObject().put("tool_action", "debug.sleep").put("input", new JsonObject().put("duration_ms", "soon")));
    Api.Reply r = kiln.api().post("/api/v1/tasks/bulk", bulk(asked));
    assertEquals(422, r.status(), r.body());
    assertEquals("invalid_input", r.json().getString("code"));
    assertTrue(r.json().getString("detail").startsWith("tasks[7]: "), r.body());
    asked.set(7, new JsonObject().put("tool_action", "debug.noop").put("colour", "red"));
    Api.Reply unknown = kiln.api().post("/api/v1/tasks/bulk", bulk(asked));
    assertEquals(422, unknown.status());
    assertEquals("unknown_field", unknown.json().getString("code"));
    for (String body : List.of("{\"tasks\": []}", "{\"tasks\": {}}", "{}", "{\"tasks\": [1]}", "{\"tasks\": [{}], \"x\": 1}")) {
      Api.Reply bad = kiln.api().post("/api/v1/tasks/bulk", body);
      assertEquals(422, bad.status(), body + " -> " + bad.body());
      assertTrue(bad.contentType().startsWith("application/problem+json"));
    }
    List<JsonObject> tooMany = new ArrayList<>();
    for (int i = 0; i < 1_001; i++) tooMany.add(noop(i));
    assertEquals(422, kiln.api().post("/api/v1/tasks/bulk", bulk(tooMany)).status());
    assertEquals(before, tasks("true"), "nothing created");
  }

  @Test
  void aWalletThatCannotPayForAllPaysForNone() throws Exception {
    Api payer = kiln.api().forUser("bulk-payer");
    assertEquals(200, kiln.api().post("/api/v1/admin/wallets/grant",
        "{\"api_client_id\": \"admin\", \"user_id\": \"bulk-payer\", \"amount\": 30}").status());
    List<JsonObject> five = new ArrayList<>();
    for (int i = 0; i < 5; i++) five.add(new JsonObject().put("tool_action", "debug.sleep").put("input", new JsonObject().put("duration_ms", 1)));
    Api.Reply r = payer.post("/api/v1/tasks/bulk", bulk(five));
    assertEquals(402, r.status(), r.body());
    assertEquals("insufficient_credits", r.json().getString("code"));
    assertEquals(0, tasks("user_id = 'bulk-payer'"));
    assertEquals(30, payer.get("/api/v1/me/wallet").json().getLong("balance"), "nothing held");
    assertEquals(202, payer.post("/api/v1/tasks/bulk", bulk(five.subList(0, 3))).status(), "three it can pay for");
    assertEquals(0, payer.get("/api/v1/me/wallet").json().getLong("balance"));
  }

  @Test
  void aRepeatedKeyReplaysTheTasksAndADifferentRequestUnderItIsRefused() throws Exception {
    List<JsonObject> asked = List.of(noop(0), noop(1), noop(2));
    Api.Reply first = kiln.api().post("/api/v1/tasks/bulk", bulk(asked), "Idempotency-Key", "bulk-1");
    assertEquals(202, first.status(), first.body());
    Api.Reply again = kiln.api().post("/api/v1/tasks/bulk", bulk(asked), "Idempotency-Key", "bulk-1");
    assertEquals(202, again.status(), again.body());
    assertEquals("true", again.header("Idempotent-Replayed"));
    List<String> ids = first.json().getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("id")).toList();
    assertEquals(ids, again.json().getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("id")).toList());
    Api.Reply other = kiln.api().post("/api/v1/tasks/bulk", bulk(List.of(noop(0), noop(1), noop(1))), "Idempotency-Key", "bulk-1");
    assertEquals(422, other.status(), other.body());
    assertEquals("idempotency_key_reused", other.json().getString("code"));
    assertEquals(3, tasks("idempotency_key LIKE 'bulk-1#%'"));
  }
}
