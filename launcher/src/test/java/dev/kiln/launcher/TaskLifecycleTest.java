package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One JVM, embedded stack: a task's whole way from HTTP to a worker and back. */
class TaskLifecycleTest {
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of());

  @Test
  void imageTaskRunsToCompletionWithProgressEventsAndAPngAsset() throws Exception {
    JsonObject created = kiln.api().submit(new JsonObject().put("tool_action", "image.generate").put("input", new JsonObject()
        .put("prompt", "a kiln at dusk").put("width", 640).put("height", 384).put("seed", 42).put("num_inference_steps", 12)));
    assertEquals("pending", created.getString("status"));
    assertEquals("image", created.getString("queue"));
    String id = created.getString("id");

    List<Api.Sse> events = kiln.api().events(id, null, Duration.ofSeconds(60));
    List<String> types = events.stream().map(Api.Sse::event).toList();
    assertEquals("created", types.get(0), "events: " + types);
    assertEquals("started", types.get(1), "events: " + types);
    assertTrue(types.contains("progress"), "a progress event in " + types);
    assertEquals("completed", types.get(types.size() - 1), "events: " + types);
    assertEquals(types.size() - 3, types.stream().filter("progress"::equals).count(), "only progress between: " + types);
    for (int i = 1; i < events.size(); i++) {
      assertTrue(events.get(i).id() > events.get(i - 1).id(), "event ids increase");
    }
    int last = -1;
    for (Api.Sse e : events) {
      if (e.event().equals("progress")) {
        int p = e.data().getInteger("progress");
        assertTrue(p > last && p <= 100, "progress rises: " + types);
        last = p;
      }
    }

    JsonObject task = kiln.api().task(id);
    assertEquals("completed", task.getString("status"));
    assertEquals(100, task.getInteger("progress"));
    assertEquals(1, task.getInteger("attempt"));
    assertNotNull(task.getString("started_at"));
    assertNotNull(task.getString("finished_at"));
    assertTrue(task.getJsonObject("result").getBoolean("stand_in"));

    JsonArray assets = kiln.api().get("/api/v1/tasks/" + id + "/assets").json().getJsonArray("items");
    assertEquals(1, assets.size());
    JsonObject asset = assets.getJsonObject(0);
    assertEquals("output", asset.getString("asset_type"));
    assertEquals("image/png", asset.getString("mime_type"));
    assertEquals(640, asset.getInteger("width"));
    assertEquals(384, asset.getInteger("height"));
    byte[] png = kiln.api().bytes(asset.getString("url"));
    assertEquals(asset.getLong("size_bytes"), (long) png.length);
    assertEquals(asset.getString("checksum"), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png)));
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
    assertEquals(640, img.getWidth());
    assertEquals(384, img.getHeight());

    try (Sql sql = kiln.sql()) {
      List<Map<String, Object>> runs = sql.rows("SELECT attempt, is_success, outcome FROM task_executions WHERE task_id = ?", UUID.fromString(id));
      assertEquals(1, runs.size());
      assertEquals(true, runs.get(0).get("is_success"));
      assertEquals(events.size(), sql.count("SELECT count(*) FROM task_events WHERE task_id = ?", UUID.fromString(id)),
          "every SSE event is a task_events row");
    }
  }

  @Test
  void aTaskIsSeenPendingThenRunningThenCompleted() throws Exception {
    String id = kiln.api().submit(new JsonObject().put("tool_action", "debug.sleep")
        .put("input", new JsonObject().put("duration_ms", 1500).put("progress_steps", 3))).getString("id");
    kiln.api().awaitStatus(id, "running", Duration.ofSeconds(20));
    JsonObject done = kiln.api().awaitStatus(id, "completed", Duration.ofSeconds(20));
    assertEquals(1500, done.getJsonObject("result").getInteger("slept_ms"));
  }

  @Test
  void reconnectingWithLastEventIdReplaysOnlyWhatWasMissed() throws Exception {
    String id = kiln.api().submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
    List<Api.Sse> all = kiln.api().events(id, null, Duration.ofSeconds(30));
    assertEquals("completed", all.get(all.size() - 1).event());
    List<Api.Sse> rest = kiln.api().events(id, all.get(0).id(), Duration.ofSeconds(30));
    assertEquals(all.subList(1, all.size()).stream().map(Api.Sse::id).toList(), rest.stream().map(Api.Sse::id).toList());
    assertTrue(kiln.api().events(id, all.get(all.size() - 1).id(), Duration.ofSeconds(30)).isEmpty(),
        "after the terminal event the stream answers 204");
  }

  @Test
  void anotherClientCannotSeeTheTask() throws Exception {
    String id = kiln.api().submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
    Api stranger = new Api(kiln.port(), "not-a-key-of-this-kiln-000");
    assertEquals(401, stranger.get("/api/v1/tasks/" + id).status());
  }

  @Test
  void theCallersStreamCarriesAllItsTasksAndNoOneElses() throws Exception {
    Api alice = kiln.api().forUser("alice-events");
    Api bob = kiln.api().forUser("bob-events");
    List<String> mine;
    String theirs;
    List<Api.Sse> seen;
    try (Api.SseStream stream = alice.stream("/api/v1/events", null)) {
      mine = List.of(alice.submit(new JsonObject().put("tool_action", "debug.noop")).getString("id"),
          alice.submit(new JsonObject().put("tool_action", "debug.sleep").put("input", new JsonObject()
              .put("duration_ms", 200).put("progress_steps", 2))).getString("id"));
      theirs = bob.submit(new JsonObject().put("tool_action", "debug.noop")).getString("id");
      seen = Eventually.await("both of alice's tasks completed on her stream", Duration.ofSeconds(30), () -> {
        List<Api.Sse> now = List.copyOf(stream.events);
        long done = now.stream().filter(e -> "completed".equals(e.event())).count();
        return done == 2 ? now : null;
      });
      bob.awaitStatus(theirs, "completed", Duration.ofSeconds(30));
    }
    // Ids rise within each task. Across tasks they may arrive out of order (one task's created event is
    // published by HTTP after its commit, another's completion by the leader): a known gap, see README.
    for (String id : mine) {
      List<Long> ids = seen.stream().filter(e -> e.data().getString("task_id").equals(id)).map(Api.Sse::id).toList();
      for (int i = 1; i < ids.size(); i++) assertTrue(ids.get(i) > ids.get(i - 1), "ids rise within a task: " + seen);
    }
    for (Api.Sse e : seen) assertTrue(mine.contains(e.data().getString("task_id")), "only alice's tasks: " + e);
    for (String id : mine) {
      List<String> types = seen.stream().filter(e -> e.data().getString("task_id").equals(id)).map(Api.Sse::event).toList();
      assertEquals("created", types.get(0), types.toString());
      assertTrue(types.contains("started"), types.toString());
      assertEquals("completed", types.get(types.size() - 1), types.toString());
    }
    try (Sql sql = kiln.sql()) {
      assertEquals(sql.count("SELECT count(*) FROM task_events WHERE task_id IN (?::uuid, ?::uuid)", mine.get(0), mine.get(1)),
          (long) seen.size(), "every event of hers, once");
    }

    // Reconnecting after the first event replays the rest, and only the rest.
    try (Api.SseStream again = alice.stream("/api/v1/events", seen.get(0).id())) {
      long after = seen.get(0).id();
      List<Long> ids = seen.stream().map(Api.Sse::id).filter(id -> id > after).sorted().toList(); // a replay is in id order
      Eventually.await("the replay", Duration.ofSeconds(10), () -> again.events.size() >= ids.size());
      assertEquals(ids, again.events.stream().map(Api.Sse::id).toList());
    }
  }
}
