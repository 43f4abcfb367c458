package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Seed 003's pipeline end to end through HTTP with the demo providers: a prompt becomes four
 * PNGs, the caller picks one, it becomes a .glb; and the request's state machine (kept by
 * PostgreSQL as its tasks move) under a failing image, all images failing, a cancel, a failing
 * model and concurrent picks, with the credits' ledger balanced after.
 */
class GenerationRequestTest {
  static final long IMAGE_PRICE = 2;
  static final long MODEL_PRICE = 5;

  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_WORKER_SLOTS", "8",
      "KILN_PRICES", "image.generate=" + IMAGE_PRICE + ",model3d.generate=" + MODEL_PRICE));

  private static Api user(String name) throws Exception {
    Api.Reply grant = kiln.api().post("/api/v1/admin/wallets/grant",
        new JsonObject().put("api_client_id", "admin").put("user_id", name).put("amount", 1000).encode());
    assertEquals(200, grant.status(), grant.body());
    return kiln.api().forUser(name);
  }

  private static JsonObject create(Api as, JsonObject body) throws Exception {
    Api.Reply r = as.post("/api/v1/generation-requests", body.encode());
    assertEquals(202, r.status(), r.body());
    return r.json();
  }

  private static JsonObject request(Api as, String id) throws Exception {
    Api.Reply r = as.get("/api/v1/generation-requests/" + id);
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  private static JsonObject awaitStatus(Api as, String id, String status, Duration within) throws Exception {
    return Eventually.await("request " + id + " " + status, within, () -> {
      JsonObject r = request(as, id);
      return status.equals(r.getString("status")) ? r : null;
    });
  }

  private static void queue(String queue, boolean active) throws Exception {
    assertEquals(200, kiln.api().send("PUT", "/api/v1/admin/queues/" + queue, "{\"is_active\": " + active + "}").status());
  }

  private static long balance(Api as) throws Exception {
    return as.get("/api/v1/me/wallet").json().getLong("balance");
  }

  @Test
  void aPromptBecomesFourImagesThenThePickedOneBecomesAModel() throws Exception {
    Api ann = user("ann");
    JsonObject created = create(ann, new JsonObject().put("prompt", "a small red kiln").put("width", 96).put("height", 64).put("seed", 7));
    assertEquals("IMAGE_GENERATION", created.getString("phase"));
    assertTrue(List.of("IMAGE_PENDING", "IMAGE_GENERATING").contains(created.getString("status")), created.encode());
    JsonArray images = created.getJsonArray("images");
    assertEquals(4, images.size());
    for (int i = 0; i < 4; i++) {
      assertEquals(i, images.getJsonObject(i).getInteger("index"));
      assertEquals(7L + i, images.getJsonObject(i).getLong("seed"), "image i has seed + i");
    }
    assertNull(created.getValue("model"));
    String id = created.getString("id");

    JsonObject awaiting = awaitStatus(ann, id, "IMAGE_COMPLETED", Duration.ofSeconds(60));
    assertEquals("AWAITING_SELECTION", awaiting.getString("phase"));
    for (Object o : awaiting.getJsonArray("images")) {
      JsonObject image = (JsonObject) o;
      assertEquals("COMPLETED", image.getString("status"));
      byte[] png = kiln.api().anonymous().bytes(image.getString("image_url"));
      assertEquals((byte) 0x89, png[0], "the signed image_url serves a PNG without a key");
      assertEquals(96, image.getInteger("width"));
    }

    Api.Reply picked = ann.send("PATCH", "/api/v1/generation-requests/" + id, "{\"selected_image_index\": 2}");
    assertEquals(200, picked.status(), picked.body());
    assertEquals("MODEL_GENERATION", picked.json().getString("phase"));
    assertEquals(2, picked.json().getInteger("selected_image_index"));
    JsonObject model = picked.json().getJsonObject("model");
    assertNotNull(model);
    assertEquals("a small red kiln", model.getString("name"), "named after the prompt");

    JsonObject done = awaitStatus(ann, id, "COMPLETED", Duration.ofSeconds(60));
    assertEquals("COMPLETED", done.getString("phase"));
    assertNotNull(done.getString("completed_at"));
    model = done.getJsonObject("model");
    assertEquals("COMPLETED", model.getString("status"));
    byte[] glb = kiln.api().anonymous().bytes(model.getString("model_url"));
    assertEquals("glTF", new String(glb, 0, 4, java.nio.charset.StandardCharsets.US_ASCII), "model_url serves a binary glTF");
    assertEquals((byte) 0x89, kiln.api().anonymous().bytes(model.getString("preview_image_url"))[0]);
    assertEquals(glb.length, model.getLong("file_size"));

    Api.Reply again = ann.send("PATCH", "/api/v1/generation-requests/" + id, "{\"selected_image_index\": 1}");
    assertEquals(409, again.status(), again.body());
    assertEquals("wrong_phase", again.json().getString("code"));
    assertEquals(1000 - 4 * IMAGE_PRICE - MODEL_PRICE, balance(ann), "four images and one model paid for, nothing else");
    JsonArray mine = ann.get("/api/v1/generation-requests").json().getJsonArray("items");
    assertEquals(id, mine.getJsonObject(0).getString("id"), "newest first");
    try (Sql sql = kiln.sql()) {
      assertEquals(1, sql.count("SELECT count(*) FROM models WHERE request_id = ?::uuid", id));
      LedgerCheck.assertBalanced(sql);
    }
    Eventually.await("the requests gauge counts it", Duration.ofSeconds(20), () -> kiln.api().get("/metrics").body().lines()
        .anyMatch(l -> l.startsWith("kiln_generation_requests{") && l.contains("status=\"COMPLETED\"") && !l.endsWith(" 0.0")));
  }

  @Test
  void oneFailingImageLeavesTheOthersToPickFromAndAllFailingEndsTheRequest() throws Exception {
    Api bo = user("bo");
    queue("image", false);
    String some;
    String none;
    try {
      some = create(bo, new JsonObject().put("prompt", "three of four").put("width", 64).put("height", 64)).getString("id");
      none = create(bo, new JsonObject().put("prompt", "none of two").put("width", 64).put("height", 64).put("image_count", 2))
          .getString("id");
      String failing = request(bo, some).getJsonArray("images").getJsonObject(1).getString("task_id");
      assertEquals(200, bo.post("/api/v1/tasks/" + failing + "/cancel", "").status());
      for (Object o : request(bo, none).getJsonArray("images")) {
        assertEquals(200, bo.post("/api/v1/tasks/" + ((JsonObject) o).getString("task_id") + "/cancel", "").status());
      }
      JsonObject failed = awaitStatus(bo, none, "IMAGE_FAILED", Duration.ofSeconds(10));
      assertEquals("COMPLETED", failed.getString("phase"), "no image to pick: the request has ended");
      assertNotNull(failed.getString("completed_at"));
    } finally {
      queue("image", true);
    }
    JsonObject three = awaitStatus(bo, some, "IMAGE_COMPLETED", Duration.ofSeconds(60));
    assertEquals("AWAITING_SELECTION", three.getString("phase"));
    assertEquals(List.of("COMPLETED", "FAILED", "COMPLETED", "COMPLETED"),
        three.getJsonArray("images").stream().map(o -> ((JsonObject) o).getString("status")).toList());
    Api.Reply failedPick = bo.send("PATCH", "/api/v1/generation-requests/" + some, "{\"selected_image_index\": 1}");
    assertEquals(409, failedPick.status(), failedPick.body());
    assertEquals("image_not_completed", failedPick.json().getString("code"));
    Api.Reply outOfRange = bo.send("PATCH", "/api/v1/generation-requests/" + some, "{\"selected_image_index\": 4}");
    assertEquals(422, outOfRange.status(), outOfRange.body());
    Api.Reply ended = bo.send("PATCH", "/api/v1/generation-requests/" + none, "{\"selected_image_index\": 0}");
    assertEquals(409, ended.status(), ended.body());
    assertEquals(1000 - 3 * IMAGE_PRICE, balance(bo), "only the completed images are paid for");
    try (Sql sql = kiln.sql()) {
      LedgerCheck.assertBalanced(sql);
    }
  }

  @Test
  void aFailedModelCanBePickedAgainAndTheRequestKeepsItsOneModel() throws Exception {
    Api cy = user("cy");
    String id = create(cy, new JsonObject().put("prompt", "try twice").put("width", 64).put("height", 64)).getString("id");
    awaitStatus(cy, id, "IMAGE_COMPLETED", Duration.ofSeconds(60));
    queue("model3d", false);
    String firstModel;
    try {
      Api.Reply picked = cy.send("PATCH", "/api/v1/generation-requests/" + id, "{\"selected_image_index\": 0, \"name\": \"first\"}");
      assertEquals(200, picked.status(), picked.body());
      assertEquals("MODEL_PENDING", picked.json().getString("status"));
      firstModel = picked.json().getJsonObject("model").getString("id");
      String task = picked.json().getJsonObject("model").getString("task_id");
      assertEquals(200, cy.post("/api/v1/tasks/" + task + "/cancel", "").status());
      JsonObject failed = awaitStatus(cy, id, "MODEL_FAILED", Duration.ofSeconds(10));
      assertEquals("AWAITING_SELECTION", failed.getString("phase"), "a failed model may be picked again");
      assertEquals("FAILED", failed.getJsonObject("model").getString("status"));
    } finally {
      queue("model3d", true);
    }
    Api.Reply again = cy.send("PATCH", "/api/v1/generation-requests/" + id, "{\"selected_image_index\": 3}");
    assertEquals(200, again.status(), again.body());
    JsonObject done = awaitStatus(cy, id, "COMPLETED", Duration.ofSeconds(60));
    assertEquals(firstModel, done.getJsonObject("model").getString("id"), "the request's one model, made again");
    assertEquals(3, done.getInteger("selected_image_index"));
    try (Sql sql = kiln.sql()) {
      assertEquals(1, sql.count("SELECT count(*) FROM models WHERE request_id = ?::uuid", id));
      assertEquals(2, sql.count("SELECT count(*) FROM tasks WHERE generation_request_id = ?::uuid AND tool_action = 'model3d.generate'", id));
      LedgerCheck.assertBalanced(sql);
    }
    assertEquals(1000 - 4 * IMAGE_PRICE - MODEL_PRICE, balance(cy), "the cancelled model was not paid for");
  }

  @Test
  void aCancelledRequestCancelsItsTasksAndRefusesAPick() throws Exception {
    Api di = user("di");
    queue("image", false);
    String id;
    try {
      id = create(di, new JsonObject().put("prompt", "never mind").put("width", 64).put("height", 64)).getString("id");
      Api.Reply cancelled = di.post("/api/v1/generation-requests/" + id + "/cancel", "");
      assertEquals(200, cancelled.status(), cancelled.body());
      assertEquals("CANCELLED", cancelled.json().getString("status"));
      assertEquals("COMPLETED", cancelled.json().getString("phase"));
      assertEquals(List.of("FAILED", "FAILED", "FAILED", "FAILED"),
          cancelled.json().getJsonArray("images").stream().map(o -> ((JsonObject) o).getString("status")).toList());
    } finally {
      queue("image", true);
    }
    Api.Reply twice = di.post("/api/v1/generation-requests/" + id + "/cancel", "");
    assertEquals(409, twice.status(), twice.body());
    assertEquals("request_ended", twice.json().getString("code"));
    assertEquals(409, di.send("PATCH", "/api/v1/generation-requests/" + id, "{\"selected_image_index\": 0}").status());
    assertEquals(1000, balance(di), "nothing paid for");
    try (Sql sql = kiln.sql()) {
      assertEquals(4, sql.count("SELECT count(*) FROM tasks WHERE generation_request_id = ?::uuid AND status = 'cancelled'", id));
    }
  }

  @Test
  void concurrentPicksMakeExactlyOneModel() throws Exception {
    Api ed = user("ed");
    String id = create(ed, new JsonObject().put("prompt", "all at once").put("width", 64).put("height", 64).put("image_count", 8))
        .getString("id");
    awaitStatus(ed, id, "IMAGE_COMPLETED", Duration.ofSeconds(60));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Api.Reply>> picks = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        String body = "{\"selected_image_index\": " + i + "}";
        picks.add(pool.submit((Callable<Api.Reply>) () -> ed.send("PATCH", "/api/v1/generation-requests/" + id, body)));
      }
      List<Integer> statuses = new ArrayList<>();
      for (Future<Api.Reply> f : picks) statuses.add(f.get().status());
      assertEquals(1, statuses.stream().filter(s -> s == 200).count(), "one pick wins: " + statuses);
      assertEquals(7, statuses.stream().filter(s -> s == 409).count(), "the others are told it is past selection: " + statuses);
    } finally {
      pool.shutdownNow();
    }
    try (Sql sql = kiln.sql()) {
      assertEquals(1, sql.count("SELECT count(*) FROM models WHERE request_id = ?::uuid", id));
      assertEquals(1, sql.count("SELECT count(*) FROM tasks WHERE generation_request_id = ?::uuid AND tool_action = 'model3d.generate'", id));
    }
    awaitStatus(ed, id, "COMPLETED", Duration.ofSeconds(60));
  }

  /** Issue 11, item 4: one SSE stream of the whole pipeline, with its phase changes, and Last-Event-ID replay. */
  @Test
  void oneStreamFollowsTheWholePipelineAndReplaysWhatWasMissed() throws Exception {
    Api fay = user("fay");
    String id = create(fay, new JsonObject().put("prompt", "watch it").put("width", 64).put("height", 64).put("image_count", 2))
        .getString("id");
    String path = "/api/v1/generation-requests/" + id + "/events";
    List<Api.Sse> seen;
    try (Api.SseStream s = fay.stream(path, null)) {
      Eventually.await("awaiting selection, on the stream", Duration.ofSeconds(60), () -> s.events.stream()
          .anyMatch(e -> "request".equals(e.event()) && "AWAITING_SELECTION".equals(e.data().getString("phase"))));
      assertEquals(200, fay.send("PATCH", "/api/v1/generation-requests/" + id, "{\"selected_image_index\": 1}").status());
      Eventually.await("the last phase, on the stream", Duration.ofSeconds(60), () -> s.events.stream()
          .anyMatch(e -> "request".equals(e.event()) && "COMPLETED".equals(e.data().getString("phase"))));
      seen = List.copyOf(s.events);
    }
    JsonObject done = request(fay, id);
    java.util.Set<String> parts = new java.util.HashSet<>();
    for (Object o : done.getJsonArray("images")) parts.add(((JsonObject) o).getString("task_id"));
    parts.add(done.getJsonObject("model").getString("task_id"));
    assertEquals(parts, seen.stream().filter(e -> "completed".equals(e.event())).map(e -> e.data().getString("task_id"))
        .collect(java.util.stream.Collectors.toSet()), "each image's end and the model's, on one stream");
    assertTrue(seen.stream().anyMatch(e -> "progress".equals(e.event())), "with their progress");
    List<String> states = seen.stream().filter(e -> "request".equals(e.event())).map(e -> e.data().getString("status")).toList();
    assertTrue(states.indexOf("IMAGE_COMPLETED") < states.indexOf("COMPLETED") && states.indexOf("IMAGE_COMPLETED") >= 0,
        "the phases in order: " + states);
    assertEquals("COMPLETED", states.get(states.size() - 1));

    List<Api.Sse> taskEvents = seen.stream().filter(e -> !"request".equals(e.event())).toList();
    long from = taskEvents.get(taskEvents.size() / 2).id();
    java.util.Set<Long> expected = new java.util.TreeSet<>();
    for (Api.Sse e : taskEvents) if (e.id() > from) expected.add(e.id());
    try (Api.SseStream again = fay.stream(path, from)) {
      Eventually.await("the replay and the request's state", Duration.ofSeconds(10), () -> again.events.stream()
          .anyMatch(e -> "request".equals(e.event())));
      java.util.Set<Long> replayed = new java.util.TreeSet<>();
      for (Api.Sse e : again.events) if (!"request".equals(e.event())) replayed.add(e.id());
      assertEquals(expected, replayed, "what came after Last-Event-ID, and only that; live: " + seen + " replay: " + again.events);
    }
  }
}
