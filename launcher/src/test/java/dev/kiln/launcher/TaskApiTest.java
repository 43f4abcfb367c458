package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Listing with filters and cursors, manual retry, the recycle bin: through HTTP and Postgres. */
class TaskApiTest {
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of());

  @Test
  void listsPageByCursorNewestFirstWithoutGapsOrRepeats() throws Exception {
    Api user = kiln.api().forUser("lister");
    List<String> submitted = new ArrayList<>();
    for (int i = 0; i < 25; i++) submitted.add(user.submit(new JsonObject().put("tool_action", "debug.noop")).getString("id"));
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonObject page = user.get("/api/v1/tasks?limit=10" + (cursor == null ? "" : "&cursor=" + cursor)).json();
      page.getJsonArray("items").forEach(o -> seen.add(((JsonObject) o).getString("id")));
      cursor = page.getString("next_cursor");
      pages++;
    } while (cursor != null);
    assertEquals(3, pages);
    List<String> newestFirst = new ArrayList<>(submitted);
    java.util.Collections.reverse(newestFirst);
    assertEquals(newestFirst, seen, "every task once, newest first");

    for (String id : submitted) user.awaitEnded(id, Duration.ofSeconds(30));
    JsonArray completed = user.get("/api/v1/tasks?status=completed&tool_action=debug.noop&limit=100").json().getJsonArray("items");
    assertEquals(25, completed.size());
    assertEquals(0, user.get("/api/v1/tasks?status=failed").json().getJsonArray("items").size());
    String after = URLEncoder.encode("2000-01-01T00:00:00Z", StandardCharsets.UTF_8);
    assertEquals(25, user.get("/api/v1/tasks?limit=100&created_after=" + after).json().getJsonArray("items").size());
    assertEquals(0, user.get("/api/v1/tasks?created_before=" + after).json().getJsonArray("items").size());
  }

  @Test
  void clientsAndUsersListOnlyTheirOwn() throws Exception {
    Api alice = kiln.api().forUser("alice");
    Api bob = kiln.api().forUser("bob");
    Api firstParty = kiln.api().as(KilnNode.FIRST_PARTY_KEY);
    String a = alice.submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
    String b = bob.submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
    String f = firstParty.submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
    Set<String> aliceSees = ids(alice.get("/api/v1/tasks?limit=100").json());
    assertTrue(aliceSees.contains(a) && !aliceSees.contains(b) && !aliceSees.contains(f), "alice sees only hers");
    Set<String> fpSees = ids(firstParty.get("/api/v1/tasks?limit=100").json());
    assertEquals(Set.of(f), fpSees, "a client sees only its own");
    assertEquals(404, firstParty.get("/api/v1/tasks/" + a).status());
    assertEquals(404, bob.get("/api/v1/tasks/" + a).status());
    assertEquals(404, bob.post("/api/v1/tasks/" + a + "/cancel", "").status());
    assertEquals(404, bob.send("DELETE", "/api/v1/tasks/" + a, "").status());
    assertEquals(404, firstParty.post("/api/v1/tasks/" + a + "/retry", "").status());
  }

  @Test
  void aFailedTaskCanBeRetriedByHandAndAFinishedOneCannot() throws Exception {
    String failed = kiln.api().submit(new JsonObject().put("tool_action", "debug.sleep")
        .put("input", new JsonObject().put("fail_permanently", true))).getString("id");
    assertEquals("failed", kiln.api().awaitEnded(failed, Duration.ofSeconds(30)).getString("status"));
    Api.Reply r = kiln.api().post("/api/v1/tasks/" + failed + "/retry", "");
    assertEquals(202, r.status(), r.body());
    assertEquals("pending", r.json().getString("status"));
    JsonObject again = kiln.api().awaitEnded(failed, Duration.ofSeconds(30));
    assertEquals("failed", again.getString("status"));
    assertEquals(2, again.getInteger("attempt"), "the retry is a new attempt; the history is kept");
    try (Sql sql = kiln.sql()) {
      assertEquals(2, sql.count("SELECT count(*) FROM task_executions WHERE task_id = ?::uuid", failed));
    }
    String done = kiln.api().submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
    kiln.api().awaitEnded(done, Duration.ofSeconds(30));
    Api.Reply no = kiln.api().post("/api/v1/tasks/" + done + "/retry", "");
    assertEquals(409, no.status());
    assertEquals("not_retryable", no.json().getString("code"));
  }

  @Test
  void deletedTasksGoToTheRecycleBinAndCanBeRestored() throws Exception {
    Api user = kiln.api().forUser("binner");
    String id = user.submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
    user.awaitEnded(id, Duration.ofSeconds(30));
    assertEquals(204, user.send("DELETE", "/api/v1/tasks/" + id, "").status());
    assertEquals(404, user.get("/api/v1/tasks/" + id).status());
    assertTrue(!ids(user.get("/api/v1/tasks").json()).contains(id));
    assertEquals(Set.of(id), ids(user.get("/api/v1/tasks?deleted=true").json()));
    Api.Reply restored = user.post("/api/v1/tasks/" + id + "/restore", "");
    assertEquals(200, restored.status(), restored.body());
    assertEquals("completed", user.task(id).getString("status"));
    assertEquals(409, user.post("/api/v1/tasks/" + id + "/restore", "").status());

    String running = user.submit(new JsonObject().put("tool_action", "debug.sleep")
        .put("input", new JsonObject().put("hang", true))).getString("id");
    user.awaitStatus(running, "running", Duration.ofSeconds(10));
    Api.Reply busy = user.send("DELETE", "/api/v1/tasks/" + running, "");
    assertEquals(409, busy.status());
    assertEquals("task_running", busy.json().getString("code"));
    assertEquals(200, user.post("/api/v1/tasks/" + running + "/cancel", "").status());
    assertEquals(204, user.send("DELETE", "/api/v1/tasks/" + running, "").status());
  }

  @Test
  void badListParametersAre400() throws Exception {
    for (String q : List.of("status=PENDING", "status=nope", "limit=0", "limit=101", "limit=x", "cursor=garbage",
        "batch_id=12", "created_after=yesterday", "deleted=maybe", "foo=1", "status=pending&status=failed")) {
      Api.Reply r = kiln.api().get("/api/v1/tasks?" + q);
      assertEquals(400, r.status(), q + " -> " + r.body());
      assertTrue(r.contentType().startsWith("application/problem+json"), q);
    }
    assertNull(kiln.api().get("/api/v1/tasks?limit=1&status=cancelled&tool_action=image.generate").json().getString("next_cursor"));
  }

  private static Set<String> ids(JsonObject page) {
    Set<String> out = new HashSet<>();
    page.getJsonArray("items").forEach(o -> out.add(((JsonObject) o).getString("id")));
    return out;
  }
}
