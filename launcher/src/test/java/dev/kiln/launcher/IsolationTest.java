package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;

/**
 * No client or end user reads, lists, cancels, retries, deletes or restores another's tasks or
 * batches, or reads or uses another's uploads: every such endpoint, between two end users of a
 * first-party client, a user signed in by e-mail and a third-party client, answers 404 (a
 * file as input: 422) and changes nothing; none of them reaches the admin API.
 */
class IsolationTest {
  // Rate limits off: this test makes many requests a second per user, and is about isolation.
  static final int STREAMS_PER_USER = 2;
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_RATE_LIMIT_CLIENT", "0", "KILN_RATE_LIMIT_USER", "0",
      "KILN_SSE_MAX_STREAMS_PER_USER", String.valueOf(STREAMS_PER_USER)));

  @Test
  void nobodyTouchesAnothersTasksOrBatches() throws Exception {
    Api firstParty = kiln.api().as(KilnNode.FIRST_PARTY_KEY);
    String thirdKey = kiln.api().post("/api/v1/admin/clients", "{\"display_name\": \"P\", \"role\": \"third_party\"}").json().getString("api_key");
    Map<String, Api> callers = Map.of(
        "alice (user of first party)", firstParty.forUser("alice"),
        "bob (user of first party)", firstParty.forUser("bob"),
        "carol (signed in by e-mail)", kiln.signedIn("carol@example.com"),
        "third party", kiln.api().as(thirdKey));
    byte[] png = ToolActionsTest.png(64, 48, java.awt.Color.BLUE, java.awt.Color.ORANGE);

    List<Executable> checks = new ArrayList<>();
    for (Map.Entry<String, Api> owner : callers.entrySet()) {
      Api own = owner.getValue();
      String task = own.submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
      String batch = own.post("/api/v1/batches", "{\"prompt\": \"mine\", \"width\": 64, \"height\": 64, \"batch_size\": 1}")
          .json().getString("id");
      String file = ToolActionsTest.upload(own, png).getString("id");
      List<Api> others = new ArrayList<>(callers.values());
      others.remove(own);
      if (!owner.getKey().startsWith("third")) others.add(kiln.api().as(thirdKey));
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
        checks.add(() -> assertEquals(404, other.get("/api/v1/files/" + file).status(), who + ": GET file"));
        checks.add(() -> assertEquals(422, other.post("/api/v1/tasks", new JsonObject().put("tool_action", "image.hires")
            .put("input", new JsonObject().put("source_image", file)).encode()).status(), who + ": file as a task's input"));
      }
      checks.add(() -> assertEquals(200, own.get("/api/v1/tasks/" + task).status(), owner.getKey() + " sees its own"));
      checks.add(() -> assertEquals(200, own.get("/api/v1/batches/" + batch).status(), owner.getKey() + " sees its own batch"));
      checks.add(() -> assertEquals(200, own.get("/api/v1/files/" + file).status(), owner.getKey() + " sees its own file"));
    }
    assertAll(checks);
    try (Sql sql = kiln.sql()) {
      assertEquals(0, sql.count("SELECT count(*) FROM tasks WHERE is_deleted OR status = 'cancelled'"), "nothing was changed");
      assertEquals(0, sql.count("SELECT count(*) FROM tasks WHERE tool_action = 'image.hires'"), "no task was made of another's file");
    }
  }

  /**
   * An Idempotency-Key is its caller's own: two end users of one client (two users signed in by
   * e-mail share the client {@code users}) sending the same key, even with the same request,
   * each get their own task or batch; neither is replayed the other's.
   */
  @Test
  void anIdempotencyKeyIsEachCallersOwn() throws Exception {
    Api firstParty = kiln.api().as(KilnNode.FIRST_PARTY_KEY);
    Map<String, Api> callers = Map.of(
        "erin (user of first party)", firstParty.forUser("erin"),
        "frank (user of first party)", firstParty.forUser("frank"),
        "gina (signed in by e-mail)", kiln.signedIn("gina@example.com"),
        "hugo (signed in by e-mail)", kiln.signedIn("hugo@example.com"));
    String task = new JsonObject().put("tool_action", "debug.noop").encode();
    String batch = "{\"prompt\": \"same\", \"width\": 64, \"height\": 64, \"batch_size\": 1}";
    java.util.Set<String> taskIds = new java.util.HashSet<>();
    java.util.Set<String> batchIds = new java.util.HashSet<>();
    for (Map.Entry<String, Api> c : callers.entrySet()) {
      for (int repeat = 0; repeat < 2; repeat++) {
        Api.Reply t = c.getValue().post("/api/v1/tasks", task, "Idempotency-Key", "shared-key-1");
        Api.Reply b = c.getValue().post("/api/v1/batches", batch, "Idempotency-Key", "shared-key-2");
        assertEquals(202, t.status(), c.getKey() + ": " + t.body());
        assertEquals(202, b.status(), c.getKey() + ": " + b.body());
        assertEquals(repeat == 1 ? "true" : null, t.header("Idempotent-Replayed"), c.getKey() + ": only its own repeat is a replay");
        assertEquals(repeat == 1 ? "true" : null, b.header("Idempotent-Replayed"), c.getKey() + ": only its own repeat is a replay");
        assertEquals(200, c.getValue().get("/api/v1/tasks/" + t.json().getString("id")).status(), c.getKey() + " owns what it got");
        assertEquals(200, c.getValue().get("/api/v1/batches/" + b.json().getString("id")).status(), c.getKey() + " owns what it got");
        taskIds.add(t.json().getString("id"));
        batchIds.add(b.json().getString("id"));
      }
    }
    assertEquals(callers.size(), taskIds.size(), "one task per caller");
    assertEquals(callers.size(), batchIds.size(), "one batch per caller");
  }

  /**
   * One end user at their cap of open SSE streams ({@code 429 too_many_streams}) holds back no
   * other: not another user of the same client, not a user signed in by e-mail, nor the reverse.
   */
  @Test
  void oneUsersStreamCapHoldsBackNoOtherUser() throws Exception {
    Api firstParty = kiln.api().as(KilnNode.FIRST_PARTY_KEY);
    Map<String, Api> callers = new java.util.LinkedHashMap<>();
    callers.put("ivy (user of first party)", firstParty.forUser("ivy"));
    callers.put("jack (user of first party)", firstParty.forUser("jack"));
    callers.put("kate (signed in by e-mail)", kiln.signedIn("kate@example.com"));
    callers.put("liam (signed in by e-mail)", kiln.signedIn("liam@example.com"));
    List<Api.SseStream> open = new ArrayList<>();
    try {
      for (Map.Entry<String, Api> c : callers.entrySet()) {
        for (int i = 0; i < STREAMS_PER_USER; i++) open.add(c.getValue().stream("/api/v1/events", null)); // 200, or it throws
        Api.Reply over = c.getValue().openStream("/api/v1/events");
        assertEquals(429, over.status(), c.getKey() + ": " + over.body());
        assertEquals("too_many_streams", over.json().getString("code"), c.getKey());
      }
    } finally {
      for (Api.SseStream s : open) s.close();
    }
  }
}
