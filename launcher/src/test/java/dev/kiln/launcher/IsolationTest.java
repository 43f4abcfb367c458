package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
      String request = own.post("/api/v1/generation-requests", "{\"prompt\": \"mine\", \"width\": 64, \"height\": 64, \"image_count\": 1}")
          .json().getString("id");
      List<Api> others = new ArrayList<>(callers.values());
      others.remove(own);
      if (!owner.getKey().startsWith("third")) others.add(kiln.api().as(thirdKey));
      for (Api other : others) {
        String who = owner.getKey() + "'s, as another";
        checks.add(() -> assertEquals(404, other.get("/api/v1/tasks/" + task).status(), who + ": GET task"));
        checks.add(() -> assertEquals(404, other.get("/api/v1/tasks/" + task + "/assets").status(), who + ": assets"));
        checks.add(() -> assertEquals(404, other.get("/api/v1/tasks/" + task + "/attempts").status(), who + ": attempts"));
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
        checks.add(() -> assertEquals(404, other.get("/api/v1/generation-requests/" + request).status(), who + ": GET request"));
        checks.add(() -> assertEquals(404, other.get("/api/v1/generation-requests/" + request + "/events").status(), who + ": request events"));
        checks.add(() -> assertEquals(404, other.send("PATCH", "/api/v1/generation-requests/" + request, "{\"selected_image_index\": 0}")
            .status(), who + ": pick"));
        checks.add(() -> assertEquals(404, other.post("/api/v1/generation-requests/" + request + "/cancel", "").status(), who + ": request cancel"));
        checks.add(() -> assertFalse(other.get("/api/v1/generation-requests?limit=100").body().contains(request), who + ": request list"));
        checks.add(() -> assertEquals(422, other.post("/api/v1/tasks", new JsonObject().put("tool_action", "image.hires")
            .put("input", new JsonObject().put("source_image", file)).encode()).status(), who + ": file as a task's input"));
      }
      checks.add(() -> assertEquals(200, own.get("/api/v1/tasks/" + task).status(), owner.getKey() + " sees its own"));
      checks.add(() -> assertEquals(200, own.get("/api/v1/batches/" + batch).status(), owner.getKey() + " sees its own batch"));
      checks.add(() -> assertEquals(200, own.get("/api/v1/files/" + file).status(), owner.getKey() + " sees its own file"));
      checks.add(() -> assertEquals(200, own.get("/api/v1/generation-requests/" + request).status(), owner.getKey() + " sees its own request"));
    }
    assertAll(checks);
    try (Sql sql = kiln.sql()) {
      assertEquals(0, sql.count("SELECT count(*) FROM tasks WHERE is_deleted OR status = 'cancelled'"), "nothing was changed");
      assertEquals(0, sql.count("SELECT count(*) FROM tasks WHERE tool_action = 'image.hires'"), "no task was made of another's file");
      assertEquals(0, sql.count("SELECT count(*) FROM generation_requests WHERE status IN ('CANCELLED', 'MODEL_PENDING')"),
          "no request was cancelled or picked from by another");
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
   * A batch's metadata.batch_id is its caller's own name (issue 10, finding 6): callers of one
   * client and of others naming a batch alike each get their own, none is told the name is taken,
   * and a repeat is refused only to the caller who used it.
   */
  @Test
  void aBatchNameIsEachCallersOwn() throws Exception {
    Api firstParty = kiln.api().as(KilnNode.FIRST_PARTY_KEY);
    Map<String, Api> callers = Map.of(
        "ivan (user of first party)", firstParty.forUser("ivan"),
        "judy (user of first party)", firstParty.forUser("judy"),
        "kim (signed in by e-mail)", kiln.signedIn("kim@example.com"),
        "first party itself", firstParty);
    String name = java.util.UUID.randomUUID().toString();
    String batch = new JsonObject().put("prompt", "named").put("width", 64).put("height", 64).put("batch_size", 1)
        .put("metadata", new JsonObject().put("batch_id", name)).encode();
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (Map.Entry<String, Api> c : callers.entrySet()) {
      Api.Reply b = c.getValue().post("/api/v1/batches", batch);
      assertEquals(202, b.status(), c.getKey() + ": " + b.body());
      ids.add(b.json().getString("id"));
      assertEquals(b.json().getString("id"), c.getValue().get("/api/v1/batches/" + name).json().getString("id"),
          c.getKey() + ": its name finds its own batch");
    }
    assertEquals(callers.size(), ids.size(), "one batch per caller");
    for (Map.Entry<String, Api> c : callers.entrySet()) {
      Api.Reply again = c.getValue().post("/api/v1/batches", batch);
      assertEquals(409, again.status(), c.getKey() + ": its own repeat: " + again.body());
    }
  }

  /**
   * Models (issue 11, item 8): another's private model is not there for any route (404), and
   * stays as it was; a published one is readable, likeable and in the gallery for everyone, and
   * still changeable by its owner only. Nobody's /me lists show another's models.
   */
  @Test
  void nobodyTouchesAnothersModels() throws Exception {
    Api firstParty = kiln.api().as(KilnNode.FIRST_PARTY_KEY);
    String thirdKey = kiln.api().post("/api/v1/admin/clients", "{\"display_name\": \"M\", \"role\": \"third_party\"}").json().getString("api_key");
    Map<String, Api> callers = Map.of(
        "mia (user of first party)", firstParty.forUser("mia"),
        "noah (user of first party)", firstParty.forUser("noah"),
        "olga (signed in by e-mail)", kiln.signedIn("olga@example.com"),
        "third party", kiln.api().as(thirdKey));
    String v1 = "/api/v1";
    List<Executable> checks = new ArrayList<>();
    for (Map.Entry<String, Api> owner : callers.entrySet()) {
      Api own = owner.getValue();
      String hidden = ModelsTest.uploadGlb(own, "private of " + owner.getKey()).getString("id");
      String shown = ModelsTest.uploadGlb(own, "public of " + owner.getKey()).getString("id");
      assertEquals(200, own.post(v1 + "/models/" + shown + "/publish", "").status());
      List<Api> others = new ArrayList<>(callers.values());
      others.remove(own);
      if (!owner.getKey().startsWith("third")) others.add(kiln.api().as(thirdKey));
      for (Api other : others) {
        String who = owner.getKey() + "'s, as another";
        for (String id : List.of(hidden, shown)) {
          String m = v1 + "/models/" + id;
          String which = who + (id.equals(hidden) ? " private" : " published");
          checks.add(() -> assertEquals(404, other.send("PATCH", m, "{\"name\": \"taken\"}").status(), which + ": PATCH"));
          checks.add(() -> assertEquals(404, other.send("DELETE", m, "").status(), which + ": DELETE"));
          checks.add(() -> assertEquals(404, other.post(m + "/publish", "").status(), which + ": publish"));
          checks.add(() -> assertEquals(404, other.post(m + "/unpublish", "").status(), which + ": unpublish"));
          checks.add(() -> assertFalse(other.get(v1 + "/me/models?limit=100").body().contains(id), which + ": /me/models"));
        }
        String m = v1 + "/models/" + hidden;
        checks.add(() -> assertEquals(404, other.get(m).status(), who + " private: GET"));
        checks.add(() -> assertEquals(404, other.post(m + "/like", "").status(), who + " private: like"));
        checks.add(() -> assertEquals(404, other.post(m + "/favorite", "").status(), who + " private: favorite"));
        checks.add(() -> assertEquals(404, other.get(v1 + "/gallery/" + hidden).status(), who + " private: gallery entry"));
        checks.add(() -> assertFalse(other.get(v1 + "/gallery?limit=100").body().contains(hidden), who + " private: gallery list"));
        String p = v1 + "/models/" + shown;
        checks.add(() -> {
          Api.Reply r = other.get(p);
          assertEquals(200, r.status(), who + " published: readable by all");
          assertEquals(false, r.json().getBoolean("mine"), who + " published: not theirs");
        });
        checks.add(() -> assertEquals(200, other.get(v1 + "/gallery/" + shown).status(), who + " published: gallery entry"));
        checks.add(() -> {
          assertEquals(true, other.post(p + "/like", "").json().getBoolean("liked"), who + " published: likeable by all");
          assertTrue(other.get(v1 + "/me/likes?limit=100").body().contains(shown), who + " published: in their likes");
          assertEquals(false, other.post(p + "/like", "").json().getBoolean("liked"), who + " published: and unliked");
        });
      }
      checks.add(() -> assertEquals(200, own.get(v1 + "/models/" + hidden).status(), owner.getKey() + " sees its own private model"));
      checks.add(() -> assertTrue(own.get(v1 + "/me/models?limit=100").body().contains(hidden), owner.getKey() + " lists its own"));
    }
    assertAll(checks);
    try (Sql sql = kiln.sql()) {
      assertEquals(8, sql.count("SELECT count(*) FROM models WHERE name LIKE 'private of %' OR name LIKE 'public of %'"), "none deleted");
      assertEquals(4, sql.count("SELECT count(*) FROM models WHERE name LIKE 'private of %' AND visibility = 'PRIVATE'"), "still private");
      assertEquals(4, sql.count("SELECT count(*) FROM models WHERE name LIKE 'public of %' AND visibility = 'PUBLIC'"), "still published");
      assertEquals(0, sql.count("SELECT count(*) FROM models WHERE name = 'taken' OR like_count <> 0 OR favorite_count <> 0"),
          "no name taken, every like taken back, nothing favorited");
      assertEquals(0, sql.count("SELECT count(*) FROM model_interactions"), "no interaction left");
    }
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
