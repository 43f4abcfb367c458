package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * No client or end user reads, lists, cancels, retries, deletes or restores another's tasks or
 * batches: every such endpoint, between two end users of a first-party client and a third-party
 * client, answers 404 and changes nothing; none of them reaches the admin API.
 */
class IsolationTest {
  private static KilnNode kiln;
  private static Api admin;

  @BeforeAll
  static void start() throws Exception {
    // Limits off: this test makes many requests a second per user, and is about isolation.
    kiln = KilnNode.start(Map.of("KILN_RATE_LIMIT_CLIENT", "0", "KILN_RATE_LIMIT_USER", "0"));
    admin = kiln.api();
  }

  @AfterAll
  static void stop() throws Exception {
    if (kiln != null) kiln.close();
  }

  @Test
  void nobodyTouchesAnothersTasksOrBatches() throws Exception {
    Api firstParty = admin.as(KilnNode.FIRST_PARTY_KEY);
    String thirdKey = admin.post("/api/v1/admin/clients", "{\"display_name\": \"P\", \"role\": \"third_party\"}").json().getString("api_key");
    Map<String, Api> callers = Map.of(
        "alice (user of first party)", firstParty.forUser("alice"),
        "bob (user of first party)", firstParty.forUser("bob"),
        "third party", admin.as(thirdKey));

    List<Executable> checks = new ArrayList<>();
    for (Map.Entry<String, Api> owner : callers.entrySet()) {
      Api own = owner.getValue();
      String task = own.submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
      String batch = own.post("/api/v1/batches", "{\"prompt\": \"mine\", \"width\": 64, \"height\": 64, \"batch_size\": 1}")
          .json().getString("id");
      List<Api> others = new ArrayList<>(callers.values());
      others.remove(own);
      if (!owner.getKey().startsWith("third")) others.add(admin.as(thirdKey));
      for (Api other : others) {
        String who = owner.getKey() + "'s, as another";
        checks.add(() -> assertEquals(404, other.get("/api/v1/tasks/" + task).status(), who + ": GET task"));
        checks.add(() -> assertEquals(404, other.get("/api/v1/tasks/" + task + "/assets").status(), who + ": assets"));
        checks.add(() -> assertEquals(404, other.get("/api/v1/tasks/" + task + "/events").status(), who + ": events"));
        checks.add(() -> assertEquals(404, other.post("/api/v1/tasks/" + task + "/cancel", "").status(), who + ": cancel"));
        checks.add(() -> assertEquals(404, other.post("/api/v1/tasks/" + task + "/retry", "").status(), who + ": retry"));
        checks.add(() -> assertEquals(404, other.send("DELETE", "/api/v1/tasks/" + task, "").status(), who + ": delete"));
        checks.add(() -> assertEquals(404, other.post("/api/v1/tasks/" + task + "/restore", "").status(), who + ": restore"));
        checks.add(() -> assertEquals(404, other.get("/api/v1/batches/" + batch).status(), who + ": GET batch"));
        checks.add(() -> assertEquals(404, other.get("/api/v1/history/" + batch).status(), who + ": history entry"));
        checks.add(() -> assertEquals(404, other.post("/api/v1/batches/" + batch + "/cancel", "").status(), who + ": batch cancel"));
        checks.add(() -> assertFalse(other.get("/api/v1/tasks?limit=100").body().contains(task), who + ": task list"));
        checks.add(() -> assertFalse(other.get("/api/v1/history?limit=100").body().contains(batch), who + ": history list"));
        checks.add(() -> assertEquals(403, other.get("/api/v1/admin/queues").status(), who + ": admin API"));
      }
      checks.add(() -> assertEquals(200, own.get("/api/v1/tasks/" + task).status(), owner.getKey() + " sees its own"));
      checks.add(() -> assertEquals(200, own.get("/api/v1/batches/" + batch).status(), owner.getKey() + " sees its own batch"));
    }
    assertAll(checks);
    try (Sql sql = kiln.sql()) {
      assertEquals(0, sql.count("SELECT count(*) FROM tasks WHERE is_deleted OR status = 'cancelled'"), "nothing was changed");
    }
  }
}
