package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.launcher.Api.Part;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Meshes;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Seed 003's models, gallery and interactions through the API: an upload is validated, stored,
 * private until published; the gallery shows only published models in its two orders with
 * cursor paging; likes and favorites toggle with exact counts, also under concurrent toggles;
 * views and signed-URL downloads are counted; an AI-generated row works as an uploaded one.
 */
class ModelsTest {
  private static final String API = "/api/v1";
  // Limits off: the concurrent toggles send many requests a second for one user.
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_RATE_LIMIT_CLIENT", "0", "KILN_RATE_LIMIT_USER", "0"));

  static JsonObject upload(Api as, Part... parts) throws Exception {
    Api.Reply r = as.postMultipart(API + "/models", parts);
    assertEquals(201, r.status(), r.body());
    return r.json();
  }

  static JsonObject uploadGlb(Api as, String name) throws Exception {
    return upload(as, Part.file("file", "tetra.glb", "application/octet-stream", Meshes.glb()), Part.field("name", name));
  }

  static JsonObject ok(Api.Reply r) {
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  /** Our models' ids in the order the gallery walks them, page by page of {@code limit}. */
  private static List<String> walk(Api as, String sort, int limit, List<String> ours) throws Exception {
    List<String> seen = new ArrayList<>();
    String cursor = null;
    do {
      JsonObject page = ok(as.get(API + "/gallery?sort=" + sort + "&limit=" + limit + (cursor == null ? "" : "&cursor=" + cursor)));
      assertTrue(page.getJsonArray("items").size() <= limit, "a page holds at most limit");
      for (Object o : page.getJsonArray("items")) {
        JsonObject m = (JsonObject) o;
        assertEquals("PUBLIC", m.getString("visibility"), "the gallery shows only published models");
        assertFalse(seen.contains(m.getString("id")), "no model twice across pages");
        seen.add(m.getString("id"));
      }
      cursor = page.getString("next_cursor");
    } while (cursor != null);
    seen.retainAll(ours);
    return seen;
  }

  @Test
  void uploadPublishBrowseLikeAndList() throws Exception {
    Api firstParty = kiln.api().as(KilnNode.FIRST_PARTY_KEY);
    Api alice = firstParty.forUser("alice"), bob = firstParty.forUser("bob");
    Api carol = kiln.signedIn("carol@example.com");

    // Three formats; a GLB without a preview gets one drawn, an OBJ keeps the PNG it came with.
    byte[] glb = Meshes.glb();
    JsonObject a = uploadGlb(alice, "Alice's tetrahedron");
    assertEquals("USER_UPLOADED", a.getString("source"));
    assertEquals("COMPLETED", a.getString("status"));
    assertEquals("GLB", a.getString("format"));
    assertEquals(glb.length, a.getLong("file_size"));
    assertEquals("PRIVATE", a.getString("visibility"));
    assertNull(a.getString("published_at"));
    assertTrue(a.getBoolean("mine"));
    BufferedImage drawn = ImageIO.read(new ByteArrayInputStream(kiln.api().anonymous().bytes(a.getString("preview_image_url")))); // no key: signed
    assertEquals(512, drawn.getWidth(), "a preview drawn from the triangles");
    byte[] png = ToolActionsTest.png(64, 64, Color.WHITE, Color.RED);
    JsonObject b = upload(bob, Part.file("file", "tetra.obj", "text/plain", Meshes.obj()), Part.file("preview", "p.png", "image/png", png),
        Part.field("name", "Bob's"), Part.field("description", "an OBJ"));
    assertEquals("OBJ", b.getString("format"));
    assertEquals("an OBJ", b.getString("description"));
    assertArrayEquals(png, kiln.api().anonymous().bytes(b.getString("preview_image_url")), "the preview sent is the preview kept");
    JsonObject c = upload(carol, Part.file("file", "tetra.gltf", "model/gltf+json", Meshes.gltf()));
    assertEquals("GLTF", c.getString("format"));
    assertEquals("tetra", c.getString("name"), "no name: the file's");
    List<String> ours = List.of(a.getString("id"), b.getString("id"), c.getString("id"));

    // Private: not in the gallery, not readable by another, not theirs to like.
    assertTrue(walk(bob, "latest", 100, ours).isEmpty());
    assertEquals(404, bob.get(API + "/models/" + a.getString("id")).status());
    assertEquals(404, bob.post(API + "/models/" + a.getString("id") + "/like", "").status());
    assertEquals(404, bob.get(API + "/gallery/" + a.getString("id")).status());

    // Published one after another: latest is newest first.
    for (Map.Entry<Api, JsonObject> e : List.of(Map.entry(alice, a), Map.entry(bob, b), Map.entry(carol, c))) {
      JsonObject p = ok(e.getKey().post(API + "/models/" + e.getValue().getString("id") + "/publish", ""));
      assertEquals("PUBLIC", p.getString("visibility"));
      assertNotNull(p.getString("published_at"));
    }
    assertEquals(List.of(ours.get(2), ours.get(1), ours.get(0)), walk(bob, "latest", 100, ours));
    assertEquals(List.of(ours.get(2), ours.get(1), ours.get(0)), walk(bob, "latest", 1, ours), "page by page, the same order");
    // Publishing again keeps the first published_at.
    String publishedAt = ok(alice.get(API + "/models/" + a.getString("id"))).getString("published_at");
    assertEquals(publishedAt, ok(alice.post(API + "/models/" + a.getString("id") + "/publish", "")).getString("published_at"));

    // Likes: a toggle answers the new state and count; a second takes it back.
    JsonObject liked = ok(bob.post(API + "/models/" + a.getString("id") + "/like", ""));
    assertEquals(true, liked.getBoolean("liked"));
    assertEquals(1, liked.getInteger("like_count"));
    JsonObject unliked = ok(bob.post(API + "/models/" + a.getString("id") + "/like", ""));
    assertEquals(false, unliked.getBoolean("liked"));
    assertEquals(0, unliked.getInteger("like_count"));
    ok(bob.post(API + "/models/" + a.getString("id") + "/like", ""));
    ok(carol.post(API + "/models/" + a.getString("id") + "/like", ""));
    ok(carol.post(API + "/models/" + b.getString("id") + "/like", ""));
    JsonObject fav = ok(alice.post(API + "/models/" + c.getString("id") + "/favorite", ""));
    assertEquals(true, fav.getBoolean("favorited"));
    assertEquals(1, fav.getInteger("favorite_count"));
    // Popular: most liked first (a 2, b 1, c 0), page by page too.
    assertEquals(List.of(ours.get(0), ours.get(1), ours.get(2)), walk(alice, "popular", 100, ours));
    assertEquals(List.of(ours.get(0), ours.get(1), ours.get(2)), walk(alice, "popular", 1, ours));
    JsonObject seen = ok(carol.get(API + "/models/" + a.getString("id")));
    assertEquals(true, seen.getBoolean("liked"), "the caller's own like shows");
    assertEquals(false, seen.getBoolean("mine"), "readable, not carol's");

    // Each caller's lists: exactly the tenant's, newest first.
    assertEquals(List.of(ours.get(1), ours.get(0)), ids(ok(carol.get(API + "/me/likes"))));
    assertEquals(List.of(ours.get(1)), ids(ok(carol.get(API + "/me/likes?limit=1"))), "paged");
    String next = ok(carol.get(API + "/me/likes?limit=1")).getString("next_cursor");
    assertEquals(List.of(ours.get(0)), ids(ok(carol.get(API + "/me/likes?limit=1&cursor=" + next))));
    assertEquals(List.of(ours.get(2)), ids(ok(alice.get(API + "/me/favorites"))));
    assertEquals(List.of(ours.get(0)), ids(ok(alice.get(API + "/me/models"))));
    assertEquals(List.of(ours.get(2)), ids(ok(carol.get(API + "/me/models"))));
    assertEquals(List.of(), ids(ok(bob.get(API + "/me/favorites"))));

    // Views: each GET /gallery/{id} counts one; the owner's GET /models/{id} does not.
    int views = ok(bob.get(API + "/gallery/" + a.getString("id"))).getInteger("view_count");
    assertEquals(views + 1, ok(carol.get(API + "/gallery/" + a.getString("id"))).getInteger("view_count"));
    ok(alice.get(API + "/models/" + a.getString("id")));
    assertEquals(views + 2, ok(carol.get(API + "/gallery/" + a.getString("id"))).getInteger("view_count"));

    // Downloads by signed URL, without a key: the bytes uploaded, each counted.
    String fileUrl = ok(carol.get(API + "/gallery/" + a.getString("id"))).getString("model_url");
    assertArrayEquals(glb, kiln.api().anonymous().bytes(fileUrl));
    assertArrayEquals(glb, kiln.api().anonymous().bytes(fileUrl));
    Eventually.await("two downloads counted", Duration.ofSeconds(10),
        () -> ok(alice.get(API + "/models/" + a.getString("id"))).getInteger("download_count") == 2);
    String forged = fileUrl.replaceAll("signature=.", "signature=" + (fileUrl.contains("signature=A") ? "B" : "A"));
    assertEquals(403, kiln.api().anonymous().get(forged).status());
    assertEquals(403, kiln.api().anonymous().get(fileUrl.replace("/content?", "/preview?")).status(), "a file's URL is not its preview's");

    // The owner edits it; unpublished, it leaves the gallery and others' reach, its likes stay counted.
    JsonObject edited = ok(alice.send("PATCH", API + "/models/" + a.getString("id"), "{\"name\":\"Renamed\",\"description\":null}"));
    assertEquals("Renamed", edited.getString("name"));
    assertNull(edited.getString("description"));
    JsonObject hidden = ok(alice.post(API + "/models/" + a.getString("id") + "/unpublish", ""));
    assertEquals("PRIVATE", hidden.getString("visibility"));
    assertNull(hidden.getString("published_at"));
    assertEquals(2, hidden.getInteger("like_count"));
    assertEquals(List.of(ours.get(2), ours.get(1)), walk(bob, "latest", 100, ours));
    assertEquals(404, bob.post(API + "/models/" + a.getString("id") + "/like", "").status());
    assertEquals(404, bob.get(API + "/gallery/" + a.getString("id")).status());
    assertEquals(List.of(ours.get(1)), ids(ok(carol.get(API + "/me/likes"))), "a like of a model carol can no longer read is not listed");

    String metrics = kiln.api().anonymous().get("/metrics").body();
    // The series are there at 0 from the start: what counts is that they moved.
    assertTrue(metrics.matches("(?s).*kiln_models_uploaded_total\\{format=\"OBJ\"} [1-9].*"), "uploads counted by format");
    assertTrue(metrics.matches("(?s).*kiln_model_downloads_total\\{format=\"GLB\"} [1-9].*"), "downloads counted");
    assertTrue(metrics.matches("(?s).*kiln_model_interactions_total\\{action=\"removed\",type=\"LIKE\"} [1-9].*"), "toggles counted");

    // Deleted: gone for everyone, its file URL too.
    assertEquals(204, alice.send("DELETE", API + "/models/" + a.getString("id"), "").status());
    assertEquals(404, alice.get(API + "/models/" + a.getString("id")).status());
    assertEquals(404, alice.post(API + "/models/" + a.getString("id") + "/favorite", "").status());
    assertEquals(404, kiln.api().anonymous().get(fileUrl).status());
    try (Sql sql = kiln.sql()) {
      assertEquals(0, sql.count("SELECT count(*) FROM model_interactions WHERE model_id = ?::uuid", a.getString("id")));
    }
  }

  private static List<String> ids(JsonObject page) {
    List<String> out = new ArrayList<>();
    for (Object o : page.getJsonArray("items")) out.add(((JsonObject) o).getString("id"));
    return out;
  }

  /**
   * 40 users like one model at once while a 41st toggles it 21 times at once: every toggle
   * answers, and the count is exactly the rows (41: the 41st's toggles leave it liked).
   */
  @Test
  void concurrentTogglesKeepCountsExact() throws Exception {
    Api firstParty = kiln.api().as(KilnNode.FIRST_PARTY_KEY);
    Api owner = firstParty.forUser("owner-of-the-popular-one");
    String id = uploadGlb(owner, "popular").getString("id");
    ok(owner.post(API + "/models/" + id + "/publish", ""));
    List<Callable<JsonObject>> toggles = new ArrayList<>();
    for (int u = 0; u < 40; u++) {
      Api user = firstParty.forUser("fan-" + u);
      toggles.add(() -> ok(user.post(API + "/models/" + id + "/like", "")).put("who", "fan"));
    }
    Api fickle = firstParty.forUser("fickle");
    for (int t = 0; t < 21; t++) toggles.add(() -> ok(fickle.post(API + "/models/" + id + "/like", "")).put("who", "fickle"));
    java.util.Collections.shuffle(toggles);
    ExecutorService pool = Executors.newFixedThreadPool(32);
    List<JsonObject> answers = new ArrayList<>();
    try {
      for (Future<JsonObject> f : pool.invokeAll(toggles)) answers.add(f.get());
    } finally {
      pool.shutdownNow();
    }
    // Each fan's one toggle liked; the fickle one's 21 took turns: liked, unliked, ..., liked.
    assertTrue(answers.stream().filter(j -> j.getString("who").equals("fan")).allMatch(j -> j.getBoolean("liked")));
    assertEquals(11, answers.stream().filter(j -> j.getString("who").equals("fickle") && j.getBoolean("liked")).count());
    assertEquals(10, answers.stream().filter(j -> j.getString("who").equals("fickle") && !j.getBoolean("liked")).count());
    // A like's answer counts at least that like; an unlike's may be 0 (the fickle one's, before any fan's).
    assertTrue(answers.stream().allMatch(j -> j.getInteger("like_count") >= (j.getBoolean("liked") ? 1 : 0) && j.getInteger("like_count") <= 41),
        "no answer saw a count outside what the likes can make: " + answers);
    try (Sql sql = kiln.sql()) {
      long rows = sql.count("SELECT count(*) FROM model_interactions WHERE model_id = ?::uuid AND type = 'LIKE'", id);
      assertEquals(41, rows, "every fan's like, and the fickle one's (an odd number of toggles)");
      assertEquals(rows, sql.count("SELECT like_count FROM models WHERE id = ?::uuid", id), "the count is the rows");
    }
    JsonObject m = ok(fickle.get(API + "/models/" + id));
    assertEquals(41, m.getInteger("like_count"));
    assertEquals(true, m.getBoolean("liked"));
    // Favorites the same way, on the same model, interleaved with likes taken back.
    List<Callable<JsonObject>> mixed = new ArrayList<>();
    for (int u = 0; u < 20; u++) {
      Api user = firstParty.forUser("fan-" + u);
      mixed.add(() -> ok(user.post(API + "/models/" + id + "/favorite", "")));
      mixed.add(() -> ok(user.post(API + "/models/" + id + "/like", "")));
    }
    ExecutorService again = Executors.newFixedThreadPool(32);
    try {
      for (Future<JsonObject> f : again.invokeAll(mixed)) f.get();
    } finally {
      again.shutdownNow();
    }
    try (Sql sql = kiln.sql()) {
      assertEquals(21, sql.count("SELECT like_count FROM models WHERE id = ?::uuid", id));
      assertEquals(20, sql.count("SELECT favorite_count FROM models WHERE id = ?::uuid", id));
      assertEquals(21, sql.count("SELECT count(*) FROM model_interactions WHERE model_id = ?::uuid AND type = 'LIKE'", id));
      assertEquals(20, sql.count("SELECT count(*) FROM model_interactions WHERE model_id = ?::uuid AND type = 'FAVORITE'", id));
    }
  }

  /**
   * A model the generation pipeline makes (source AI_GENERATED, its file a model3d.generate
   * task's GLB asset) is read, published, liked and downloaded like an uploaded one; while it is
   * still generating it can be neither published nor deleted.
   */
  @Test
  void anAiGeneratedModelIsAModelLikeAnyOther() throws Exception {
    Api alice = kiln.api().as(KilnNode.FIRST_PARTY_KEY).forUser("alice-ai");
    String image = ToolActionsTest.upload(alice, ToolActionsTest.png(64, 64, Color.BLACK, Color.WHITE)).getString("id");
    JsonObject task = alice.submit(new JsonObject().put("tool_action", "model3d.generate")
        .put("input", new JsonObject().put("source_image", image).put("config", new JsonObject().put("resolution", 8))));
    String taskId = task.getString("id");
    assertEquals("completed", alice.awaitEnded(taskId, Duration.ofSeconds(60)).getString("status"));
    String id = UUID.randomUUID().toString(), generating = UUID.randomUUID().toString();
    try (Sql sql = kiln.sql()) {
      String glbKey = (String) sql.rows("SELECT object_key FROM task_assets WHERE task_id = ?::uuid AND file_name = 'model.glb'", taskId)
          .get(0).get("object_key");
      String previewKey = (String) sql.rows("SELECT object_key FROM task_assets WHERE task_id = ?::uuid AND asset_type = 'preview'", taskId)
          .get(0).get("object_key");
      String client = (String) sql.rows("SELECT api_client_id FROM tasks WHERE id = ?::uuid", taskId).get(0).get("api_client_id");
      sql.update("INSERT INTO models (id, api_client_id, user_id, source, task_id, status, name, object_key, preview_object_key, "
          + "format, file_size, completed_at) VALUES (?::uuid, ?, 'alice-ai', 'AI_GENERATED', ?::uuid, 'COMPLETED', 'generated', ?, ?, "
          + "'GLB', 1, now())", id, client, taskId, glbKey, previewKey);
      sql.update("INSERT INTO models (id, api_client_id, user_id, status, name) VALUES (?::uuid, ?, 'alice-ai', 'GENERATING', 'soon')",
          generating, client);
    }
    JsonObject m = ok(alice.get(API + "/models/" + id));
    assertEquals("AI_GENERATED", m.getString("source"));
    assertEquals(taskId, m.getString("task_id"));
    ok(alice.post(API + "/models/" + id + "/publish", ""));
    Api other = kiln.signedIn("dora@example.com");
    assertEquals(1, ok(other.post(API + "/models/" + id + "/like", "")).getInteger("like_count"));
    byte[] file = kiln.api().anonymous().bytes(ok(other.get(API + "/gallery/" + id)).getString("model_url"));
    assertEquals(0x46546C67, java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(), "the task's GLB");
    assertNotNull(ImageIO.read(new ByteArrayInputStream(kiln.api().anonymous().bytes(m.getString("preview_image_url")))));
    assertEquals(409, alice.post(API + "/models/" + generating + "/publish", "").status());
    assertEquals("model_not_ready", alice.post(API + "/models/" + generating + "/publish", "").json().getString("code"));
    assertEquals(409, alice.send("DELETE", API + "/models/" + generating, "").status());
    assertNull(ok(alice.get(API + "/models/" + generating)).getString("model_url"), "no file yet: no URL");
    JsonArray mine = ok(alice.get(API + "/me/models")).getJsonArray("items");
    assertEquals(2, mine.size());
  }
}
