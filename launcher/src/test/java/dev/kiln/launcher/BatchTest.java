package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Batches and history (seeds 000, 002): N images, seeds base_seed + i, counts kept by Postgres. */
class BatchTest {
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_WORKER_SLOTS", "8"));

  private static JsonObject batch(String id) throws Exception {
    return kiln.api().get("/api/v1/batches/" + id).json();
  }

  private static void imageQueue(boolean active) throws Exception {
    assertEquals(200, kiln.api().send("PUT", "/api/v1/admin/queues/image", "{\"is_active\": " + active + "}").status());
  }

  @Test
  void aBatchMakesOneTaskPerImageWithConsecutiveSeedsAndCompletes() throws Exception {
    String name = UUID.randomUUID().toString();
    Api.Reply r = kiln.api().post("/api/v1/batches", new JsonObject().put("prompt", "kilns in a row").put("width", 128).put("height", 96)
        .put("num_inference_steps", 2).put("base_seed", 100).put("batch_size", 4).put("title", "row")
        .put("metadata", new JsonObject().put("batch_id", name).put("device", "test")).encode());
    assertEquals(202, r.status(), r.body());
    String id = r.json().getString("id");
    assertEquals(name, r.json().getJsonObject("metadata").getString("batch_id"));
    assertEquals(id, batch(name).getString("id"), "the caller's metadata.batch_id finds its batch");
    JsonArray tasks = r.json().getJsonArray("tasks");
    assertEquals(4, tasks.size());
    for (int i = 0; i < 4; i++) {
      assertEquals(i, tasks.getJsonObject(i).getInteger("batch_index"));
      assertEquals(100L + i, tasks.getJsonObject(i).getLong("seed"));
    }
    JsonObject done = Eventually.await("batch completed", Duration.ofSeconds(60), () -> {
      JsonObject b = batch(id);
      return "completed".equals(b.getString("status")) ? b : null;
    });
    assertEquals(4, done.getInteger("completed_count"));
    assertEquals(4, done.getInteger("success_count"));
    assertEquals(4, done.getInteger("batch_size"));
    for (Object o : done.getJsonArray("tasks")) {
      JsonObject image = ((JsonObject) o).getJsonObject("image");
      assertEquals(128, image.getInteger("width"));
      assertEquals(96, image.getInteger("height"));
    }
    JsonObject newest = kiln.api().get("/api/v1/history?limit=1").json().getJsonArray("items").getJsonObject(0);
    assertEquals(id, newest.getString("id"));
    assertEquals("4/4", newest.getInteger("success_count") + "/" + newest.getInteger("batch_size"));
    assertEquals(4, kiln.api().get("/api/v1/history/" + id).json().getJsonArray("tasks").size());
    assertEquals(4, kiln.api().get("/api/v1/tasks?batch_id=" + id).json().getJsonArray("items").size());

    Api.Reply again = kiln.api().post("/api/v1/batches", new JsonObject().put("prompt", "x").put("metadata", new JsonObject().put("batch_id", name)).encode());
    assertEquals(409, again.status());
    assertEquals("batch_exists", again.json().getString("code"));
    assertEquals(404, kiln.api().as(KilnNode.FIRST_PARTY_KEY).get("/api/v1/batches/" + id).status(), "another client does not see it");
    assertEquals(404, kiln.api().as(KilnNode.FIRST_PARTY_KEY).get("/api/v1/batches/" + name).status(), "nor by its name");
  }

  /**
   * Issue 14: the generic form (seed 000 task_batches), one task of a tool_action per item, each
   * input its own, run on the demo providers to the end; counts, status, history and the task list
   * see it as they see an image batch.
   */
  @Test
  void aGenericBatchMakesOneTaskPerItemOfItsToolActionAndCompletes() throws Exception {
    Api api = kiln.api();
    String wide = ToolActionsTest.upload(api, ToolActionsTest.png(96, 64, java.awt.Color.BLUE, java.awt.Color.YELLOW)).getString("id");
    String square = ToolActionsTest.upload(api, ToolActionsTest.png(80, 80, java.awt.Color.RED, java.awt.Color.GREEN)).getString("id");
    JsonObject metadata = new JsonObject().put("import", "csv").put("template", new JsonObject().put("scale", 2));
    Api.Reply r = api.post("/api/v1/batches", new JsonObject().put("tool_action", "image.hires").put("title", "upscale three")
        .put("items", new JsonArray().add(new JsonObject().put("source_image", wide).put("scale", 2))
            .add(new JsonObject().put("source_image", square).put("scale", 2))
            .add(new JsonObject().put("source_image", wide).put("scale", 1.5)))
        .put("metadata", metadata).encode());
    assertEquals(202, r.status(), r.body());
    String id = r.json().getString("id");
    assertEquals("image.hires", r.json().getString("tool_action"));
    assertEquals("upscale three", r.json().getString("title"));
    assertEquals(metadata, r.json().getJsonObject("metadata"));
    assertEquals(3, r.json().getInteger("total_count"));
    assertEquals(3, r.json().getInteger("batch_size"));
    assertEquals(null, r.json().getString("prompt"), "no image-form parameters");
    JsonArray made = r.json().getJsonArray("tasks");
    assertEquals(3, made.size());
    for (int i = 0; i < 3; i++) assertEquals(i, made.getJsonObject(i).getInteger("batch_index"));

    JsonObject done = Eventually.await("generic batch completed", Duration.ofSeconds(60), () -> {
      JsonObject b = batch(id);
      return "completed".equals(b.getString("status")) ? b : null;
    });
    assertEquals(List.of(3, 0, 0), List.of(done.getInteger("completed_count"), done.getInteger("failed_count"),
        done.getInteger("cancelled_count")));
    List<String> sizes = done.getJsonArray("tasks").stream().map(o -> ((JsonObject) o).getJsonObject("image"))
        .map(i -> i.getInteger("width") + "x" + i.getInteger("height")).toList();
    assertEquals(List.of("192x128", "160x160", "144x96"), sizes, "each item ran with its own input, in order");
    JsonArray listed = api.get("/api/v1/tasks?batch_id=" + id).json().getJsonArray("items");
    assertEquals(3, listed.size());
    for (Object o : listed) {
      assertEquals("image.hires", ((JsonObject) o).getString("tool_action"));
      assertEquals("batch", ((JsonObject) o).getString("channel"));
    }
    JsonObject newest = api.get("/api/v1/history?limit=1").json().getJsonArray("items").getJsonObject(0);
    assertEquals(id, newest.getString("id"));
    assertEquals("3/3", newest.getInteger("success_count") + "/" + newest.getInteger("batch_size"));

    Api.Reply patterns = api.post("/api/v1/batches", new JsonObject().put("tool_action", "image.pattern-extract")
        .put("items", new JsonArray().add(new JsonObject().put("source_image", square).put("config", new JsonObject().put("colors", 4)))
            .add(new JsonObject().put("source_image", wide))).encode());
    assertEquals(202, patterns.status(), patterns.body());
    String second = patterns.json().getString("id");
    JsonObject ended = Eventually.await("pattern batch completed", Duration.ofSeconds(60), () -> {
      JsonObject b = batch(second);
      return "completed".equals(b.getString("status")) ? b : null;
    });
    assertEquals(2, ended.getInteger("success_count"));
    assertEquals("image.pattern-extract", ended.getString("tool_action"));
  }

  /** A generic batch whose items wait can be cancelled whole, as an image batch can. */
  @Test
  void aGenericBatchIsCancelledWhole() throws Exception {
    imageQueue(false);
    try {
      String src = ToolActionsTest.upload(kiln.api(), ToolActionsTest.png(64, 64, java.awt.Color.BLACK, java.awt.Color.WHITE))
          .getString("id");
      JsonObject item = new JsonObject().put("source_image", src);
      Api.Reply r = kiln.api().post("/api/v1/batches", new JsonObject().put("tool_action", "image.hires")
          .put("items", new JsonArray().add(item).add(item.copy().put("scale", 3))).encode());
      assertEquals(202, r.status(), r.body());
      assertEquals("pending", r.json().getString("status"));
      Api.Reply c = kiln.api().post("/api/v1/batches/" + r.json().getString("id") + "/cancel", "");
      assertEquals(200, c.status(), c.body());
      assertEquals("cancelled", c.json().getString("status"));
      assertEquals(2, c.json().getInteger("cancelled_count"));
    } finally {
      imageQueue(true);
    }
  }

  /**
   * Issue 10, finding 6: another tenant's metadata.batch_id answered 409 batch_exists, so ids could
   * be probed and squatted. A name is the tenant's own: another's same name is another batch.
   */
  @Test
  void aBatchIdIsScopedToItsTenantSoAnotherTenantsSameIdNeitherCollidesNorTells() throws Exception {
    imageQueue(false);
    try {
      String name = UUID.randomUUID().toString();
      String body = new JsonObject().put("prompt", "mine").put("metadata", new JsonObject().put("batch_id", name)).encode();
      Api.Reply mine = kiln.api().post("/api/v1/batches", body);
      assertEquals(202, mine.status(), mine.body());
      Api other = kiln.api().as(KilnNode.FIRST_PARTY_KEY);
      Api.Reply theirs = other.post("/api/v1/batches", body);
      assertEquals(202, theirs.status(), "the same name from another tenant is a batch of its own: " + theirs.body());
      assertNotEquals(mine.json().getString("id"), theirs.json().getString("id"));
      assertEquals(theirs.json().getString("id"), other.get("/api/v1/batches/" + name).json().getString("id"));
      assertEquals(mine.json().getString("id"), batch(name).getString("id"), "each tenant's name finds its own batch");
      Api.Reply squat = other.post("/api/v1/batches", new JsonObject().put("prompt", "squat")
          .put("metadata", new JsonObject().put("batch_id", mine.json().getString("id"))).encode());
      assertEquals(202, squat.status(), "another tenant's batch id is no name of theirs either: " + squat.body());
      assertEquals("mine", batch(mine.json().getString("id")).getString("prompt"), "and it changed nothing of the owner's");
    } finally {
      imageQueue(true);
    }
  }

  @Test
  void aBatchWithSomeCancelledIsPartialAndAllCancelledIsCancelled() throws Exception {
    imageQueue(false);
    String partial;
    String cancelled;
    try {
      partial = kiln.api().post("/api/v1/batches", "{\"prompt\": \"p\", \"width\": 64, \"height\": 64, \"num_inference_steps\": 1, \"batch_size\": 3}")
          .json().getString("id");
      cancelled = kiln.api().post("/api/v1/batches", "{\"prompt\": \"c\", \"width\": 64, \"height\": 64, \"batch_size\": 2}")
          .json().getString("id");
      String first = batch(partial).getJsonArray("tasks").getJsonObject(0).getString("id");
      assertEquals(200, kiln.api().post("/api/v1/tasks/" + first + "/cancel", "").status());
      Api.Reply c = kiln.api().post("/api/v1/batches/" + cancelled + "/cancel", "");
      assertEquals(200, c.status(), c.body());
      assertEquals("cancelled", c.json().getString("status"));
      assertEquals(2, c.json().getInteger("cancelled_count"));
    } finally {
      imageQueue(true);
    }
    JsonObject b = Eventually.await("partial", Duration.ofSeconds(60), () -> {
      JsonObject x = batch(partial);
      return "partial".equals(x.getString("status")) ? x : null;
    });
    assertEquals(List.of(2, 1, 0), List.of(b.getInteger("completed_count"), b.getInteger("cancelled_count"), b.getInteger("failed_count")));
  }

  @Test
  void badBatchesAreRefusedAndCreateNothing() throws Exception {
    long before;
    try (Sql sql = kiln.sql()) {
      before = sql.count("SELECT count(*) FROM task_batches") + sql.count("SELECT count(*) FROM tasks");
    }
    Map<String, Integer> bad = Map.of(
        "{\"prompt\": \"x\", \"batch_size\": 0}", 422,
        "{\"prompt\": \"x\", \"batch_size\": 1000}", 422,
        "{\"prompt\": \"x\", \"batch_size\": \"4\"}", 422,
        "{\"prompt\": \"x\", \"width\": 10}", 422,
        "{\"batch_size\": 2}", 422,
        "{\"prompt\": \"x\", \"metadata\": {\"batch_id\": \"nope\"}}", 422,
        "{\"prompt\": \"x\", \"base_seed\": \"1\"}", 422,
        "{\"prompt\": \"x\", \"colour\": \"red\"}", 422,
        "[]", 400);
    for (Map.Entry<String, Integer> e : bad.entrySet()) {
      Api.Reply r = kiln.api().post("/api/v1/batches", e.getKey());
      assertEquals(e.getValue(), r.status(), e.getKey() + " -> " + r.body());
      assertTrue(r.contentType().startsWith("application/problem+json"));
    }
    Api.Reply middle = kiln.api().post("/api/v1/batches", "{\"tool_action\": \"image.hires\", \"items\": [{\"source_image\": \""
        + UUID.randomUUID() + "\"}, {\"scale\": 2}, {}]}");
    assertEquals(422, middle.status(), middle.body());
    assertEquals("invalid_input", middle.json().getString("code"));
    assertTrue(middle.json().getString("detail").startsWith("items[1]: "), "the problem names the item: " + middle.body());
    assertEquals(400, kiln.api().get("/api/v1/history?limit=0").status());
    assertEquals(400, kiln.api().get("/api/v1/history?cursor=zzz").status());
    assertEquals(404, kiln.api().get("/api/v1/batches/" + UUID.randomUUID()).status());
    try (Sql sql = kiln.sql()) {
      assertEquals(before, sql.count("SELECT count(*) FROM task_batches") + sql.count("SELECT count(*) FROM tasks"));
    }
  }
}
