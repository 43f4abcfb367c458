package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The admin API: queues read and changed live, workers listed and drained. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminTest {
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_WORKER_ID", "admin-test-worker"));

  private static Api.Reply put(String path, String body) throws Exception {
    return kiln.api().send("PUT", path, body);
  }

  @Test
  @Order(1)
  void onlyAdminsMayUseIt() throws Exception {
    Api firstParty = kiln.api().as(KilnNode.FIRST_PARTY_KEY);
    for (String path : List.of("/api/v1/admin/queues", "/api/v1/admin/workers")) {
      Api.Reply r = firstParty.get(path);
      assertEquals(403, r.status(), path);
      assertEquals("forbidden", r.json().getString("code"));
    }
    assertEquals(403, firstParty.send("PUT", "/api/v1/admin/queues/debug", "{\"max_concurrency\": 1}").status());
  }

  @Test
  @Order(2)
  void queuesAreListedAndChangedAndEveryBadValueIsRefused() throws Exception {
    JsonArray items = kiln.api().get("/api/v1/admin/queues").json().getJsonArray("items");
    assertEquals(List.of("debug", "image", "model3d"), items.stream().map(o -> ((JsonObject) o).getString("queue")).toList());

    Api.Reply ok = put("/api/v1/admin/queues/image", "{\"max_concurrency\": 7, \"retry_delay_base\": 100, \"retry_delay_max\": 900}");
    assertEquals(200, ok.status(), ok.body());
    JsonObject image = kiln.api().get("/api/v1/admin/queues/image").json();
    assertEquals(7, image.getInteger("max_concurrency"));
    assertEquals(900, image.getInteger("retry_delay_max"));

    try (Sql sql = kiln.sql()) {
      List<Map<String, Object>> before = sql.rows("SELECT * FROM queue_configs ORDER BY queue");
      Map<String, Integer> bad = Map.ofEntries(
          Map.entry("{\"max_concurrency\": 0}", 422), Map.entry("{\"max_concurrency\": -3}", 422),
          Map.entry("{\"max_concurrency\": \"4\"}", 422), Map.entry("{\"max_concurrency\": 1.5}", 422),
          Map.entry("{\"max_concurrency\": null}", 422), Map.entry("{\"max_concurrency\": 1e12}", 422),
          Map.entry("{\"job_timeout\": 5}", 422), Map.entry("{\"max_retries\": 1000}", 422),
          Map.entry("{\"retry_delay_base\": 5000, \"retry_delay_max\": 10}", 422),
          Map.entry("{\"enable_priority\": \"yes\"}", 422), Map.entry("{\"is_active\": 1}", 422),
          Map.entry("{\"queue\": \"x\"}", 422), Map.entry("{}", 422),
          Map.entry("[1]", 400), Map.entry("{oops", 400));
      for (Map.Entry<String, Integer> b : bad.entrySet()) {
        Api.Reply r = put("/api/v1/admin/queues/image", b.getKey());
        assertEquals(b.getValue(), r.status(), b.getKey() + " -> " + r.body());
        assertTrue(r.contentType().startsWith("application/problem+json"), b.getKey());
      }
      assertEquals(404, put("/api/v1/admin/queues/nope", "{\"max_concurrency\": 2}").status());
      assertEquals(404, kiln.api().get("/api/v1/admin/queues/nope").status());
      assertEquals(before, sql.rows("SELECT * FROM queue_configs ORDER BY queue"), "refused changes changed nothing");
    }
  }

  @Test
  @Order(3)
  void isActiveFalsePausesTheQueueAndTrueResumesItAtOnce() throws Exception {
    assertEquals(200, put("/api/v1/admin/queues/debug", "{\"is_active\": false}").status());
    String id = kiln.api().submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
    // paused: the task is still pending after more than one dispatcher sweep
    long until = System.nanoTime() + Duration.ofMillis(1500).toNanos();
    while (System.nanoTime() < until) {
      assertEquals("pending", kiln.api().task(id).getString("status"), "a paused queue starts nothing");
    }
    long resumed = System.nanoTime();
    assertEquals(200, put("/api/v1/admin/queues/debug", "{\"is_active\": true}").status());
    kiln.api().awaitStatus(id, "completed", Duration.ofSeconds(10));
    System.out.printf("admin: a resumed queue ran its task %d ms after the PUT%n", (System.nanoTime() - resumed) / 1_000_000);
  }

  @Test
  @Order(4)
  void workersAreListedWithTheirQueuesSlotsAndHeartbeat() throws Exception {
    JsonObject w = Eventually.await("worker listed", Duration.ofSeconds(10), () -> {
      JsonArray items = kiln.api().get("/api/v1/admin/workers").json().getJsonArray("items");
      return items.isEmpty() ? null : items.getJsonObject(0);
    });
    assertEquals("admin-test-worker", w.getString("id"));
    assertEquals(4, w.getInteger("slots"));
    assertEquals(3, w.getJsonArray("queues").size());
    assertEquals("active", w.getString("status"));
    assertTrue(w.getString("last_heartbeat_at") != null && w.containsKey("running"));
  }

  @Test
  @Order(5)
  void aDrainedWorkerFinishesWhatRunsAndTakesNothingNew() throws Exception {
    String running = kiln.api().submit(new JsonObject().put("tool_action", "debug.sleep")
        .put("input", new JsonObject().put("duration_ms", 1500))).getString("id");
    kiln.api().awaitStatus(running, "running", Duration.ofSeconds(10));
    Api.Reply r = kiln.api().post("/api/v1/admin/workers/admin-test-worker/drain", "");
    assertEquals(202, r.status(), r.body());
    assertEquals(404, kiln.api().post("/api/v1/admin/workers/no-such-worker/drain", "").status());
    assertEquals(400, kiln.api().post("/api/v1/admin/workers/bad%20id!/drain", "").status());
    String after = kiln.api().submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
    kiln.api().awaitStatus(running, "completed", Duration.ofSeconds(10));
    Eventually.await("listed as draining", Duration.ofSeconds(10), () -> "draining".equals(
        kiln.api().get("/api/v1/admin/workers").json().getJsonArray("items").getJsonObject(0).getString("status")));
    assertEquals("pending", kiln.api().task(after).getString("status"), "a drained worker takes nothing new");
  }

  @Test
  @Order(6)
  void keysAreCreatedShownOnceAndRevokedAtOnce() throws Exception {
    Api.Reply made = kiln.api().post("/api/v1/admin/clients", "{\"display_name\": \"Partner\", \"role\": \"third_party\"}");
    assertEquals(201, made.status(), made.body());
    String key = made.json().getString("api_key");
    String clientId = made.json().getString("id");
    Api partner = kiln.api().as(key);
    assertEquals(202, partner.post("/api/v1/tasks", "{\"tool_action\": \"debug.noop\"}").status());
    assertEquals(403, partner.forUser("someone").post("/api/v1/tasks", "{\"tool_action\": \"debug.noop\"}").status(),
        "third_party clients may not act for end users");
    JsonArray listed = kiln.api().get("/api/v1/admin/clients").json().getJsonArray("items");
    assertTrue(listed.stream().anyMatch(o -> ((JsonObject) o).getString("id").equals(clientId)));
    assertTrue(listed.stream().noneMatch(o -> ((JsonObject) o).containsKey("api_key")), "the key is shown once only");
    try (Sql sql = kiln.sql()) {
      assertEquals(0, sql.count("SELECT count(*) FROM api_clients WHERE api_key_hash = ?", key), "never stored in plaintext");
    }

    assertEquals(204, kiln.api().send("DELETE", "/api/v1/admin/clients/" + clientId, "").status());
    Api.Reply denied = partner.get("/api/v1/tasks");
    assertEquals(401, denied.status(), "revoked at once");
    assertEquals(409, kiln.api().send("DELETE", "/api/v1/admin/clients/admin", "").status());
    // The client of e-mail sign-in is built in: revoking it would answer 204 and stop nobody, so it is refused.
    Api reader = kiln.signedIn("revoke-reader@example.com");
    Api.Reply users = kiln.api().send("DELETE", "/api/v1/admin/clients/users", "");
    assertEquals(409, users.status(), users.body());
    assertEquals("cannot_revoke_users", users.json().getString("code"));
    assertEquals(200, reader.get("/api/v1/me").status(), "its users keep working, as the 409 says");
    assertEquals(404, kiln.api().send("DELETE", "/api/v1/admin/clients/key_nope", "").status());
    assertEquals(422, kiln.api().post("/api/v1/admin/clients", "{\"display_name\": \"X\", \"role\": \"root\"}").status());
    assertEquals(422, kiln.api().post("/api/v1/admin/clients", "{\"role\": \"admin\"}").status());

    // A KILN_API_KEYS key, once revoked, is not registered again on its next use.
    Api firstParty = kiln.api().as(KilnNode.FIRST_PARTY_KEY);
    assertEquals(200, firstParty.get("/api/v1/tasks").status());
    String fpId;
    try (Sql sql = kiln.sql()) {
      fpId = (String) sql.rows("SELECT id FROM api_clients WHERE role = 'first_party'").get(0).get("id");
    }
    assertEquals(204, kiln.api().send("DELETE", "/api/v1/admin/clients/" + fpId, "").status());
    assertEquals(401, firstParty.get("/api/v1/tasks").status());
  }
}
