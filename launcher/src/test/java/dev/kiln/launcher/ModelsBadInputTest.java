package dev.kiln.launcher;

import static dev.kiln.launcher.BadRequests.ANY_4XX;
import static dev.kiln.launcher.BadRequests.get;
import static dev.kiln.launcher.BadRequests.request;
import static dev.kiln.launcher.BadRequests.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.launcher.Api.Part;
import dev.kiln.launcher.BadRequests.Case;
import dev.kiln.testing.Meshes;
import dev.kiln.testing.Pngs;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * DESIGN §7 for the models, the gallery and the interactions (issue 11, item 9): every bad
 * request, a model file that is not what it claims and a toggle on a private or deleted model
 * among them, is a 4xx {@code application/problem+json} with a stable code, and changes nothing:
 * no row, no count, no file in the asset store, no upload left on disk.
 */
class ModelsBadInputTest {
  private static final String API = "/api/v1";
  private static final String SIGNING_KEY = "models-bad-input-signing-key-0123456789";
  private static final int MODEL_LIMIT = 200_000;
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_SIGNING_KEY", SIGNING_KEY,
      "KILN_MODEL_UPLOAD_LIMIT", String.valueOf(MODEL_LIMIT), "KILN_RATE_LIMIT_CLIENT", "0", "KILN_RATE_LIMIT_USER", "0"));

  /** The admin's: a published model, a private one, one still generating, and one deleted. */
  private static String published, hidden, generating, deleted;
  private static String userToken;

  @BeforeAll
  static void start() throws Exception {
    published = ModelsTest.uploadGlb(kiln.api(), "published").getString("id");
    assertEquals(200, kiln.api().post(API + "/models/" + published + "/publish", "").status());
    hidden = ModelsTest.uploadGlb(kiln.api(), "private").getString("id");
    deleted = ModelsTest.upload(kiln.api(), Part.file("file", "t.obj", null, Meshes.obj())).getString("id");
    assertEquals(204, kiln.api().send("DELETE", API + "/models/" + deleted, "").status());
    generating = UUID.randomUUID().toString();
    try (Sql sql = kiln.sql()) {
      sql.update("INSERT INTO models (id, api_client_id, status, name) VALUES (?::uuid, 'admin', 'GENERATING', 'soon')", generating);
    }
    userToken = kiln.signedIn("models-bad-input@example.com").bearerToken();
  }

  /** A multipart/form-data request as the admin. */
  private static Case multipart(String name, int status, String code, Part... parts) {
    String boundary = "sweep-" + UUID.nameUUIDFromBytes(utf8(name));
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (Part p : parts) {
      StringBuilder head = new StringBuilder("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name() + "\"");
      if (p.fileName() != null) head.append("; filename=\"").append(p.fileName()).append('"');
      head.append("\r\n");
      if (p.contentType() != null) head.append("Content-Type: ").append(p.contentType()).append("\r\n");
      body.writeBytes(utf8(head.append("\r\n").toString()));
      body.writeBytes(p.bytes());
      body.writeBytes(utf8("\r\n"));
    }
    body.writeBytes(utf8("--" + boundary + "--\r\n"));
    return request("POST /models " + name, "POST", API + "/models", "multipart/form-data; boundary=" + boundary,
        body.toByteArray(), status, code);
  }

  private static Part file(String fileName, byte[] bytes) {
    return Part.file("file", fileName, "application/octet-stream", bytes);
  }

  private static Case post(String name, String path, int status, String code) {
    return request(name, "POST", path, null, new byte[0], status, code);
  }

  private static String signed(String path, String subject, long expires) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(utf8(SIGNING_KEY), "HmacSHA256"));
    String sig = Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(utf8(subject + "\n" + expires)));
    return path + "?expires=" + expires + "&signature=" + sig;
  }

  static List<Case> rejected() throws Exception {
    List<Case> c = new ArrayList<>();
    byte[] glb = Meshes.glb(), obj = Meshes.obj(), gltf = Meshes.gltf();
    byte[] png = ToolActionsTest.png(8, 8, java.awt.Color.WHITE, java.awt.Color.BLACK);
    byte[] jpeg;
    {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB), "jpg", out);
      jpeg = out.toByteArray();
    }

    // ---- POST /models: the request's shape.
    String models = API + "/models";
    c.add(request("POST /models as JSON", "POST", models, "application/json", utf8("{\"name\":\"x\"}"), 415, "unsupported_media_type"));
    c.add(request("POST /models as the raw GLB", "POST", models, "model/gltf-binary", glb, 415, "unsupported_media_type"));
    c.add(request("POST /models without Content-Type", "POST", models, null, glb, 415, "unsupported_media_type"));
    c.add(request("POST /models with a query", "POST", models + "?name=x", "multipart/form-data; boundary=x",
        utf8("--x--\r\n"), 400, "unknown_parameter"));
    c.add(multipart("without a file part", 422, "missing_field", Part.field("name", "x")));
    c.add(multipart("with no parts at all", 422, "missing_field"));
    c.add(multipart("with an unknown field", 422, "unknown_field", file("t.glb", glb), Part.field("visibility", "PUBLIC")));
    c.add(multipart("with an unknown part", 422, "unknown_field", file("t.glb", glb), Part.file("texture", "t.png", "image/png", png)));
    c.add(multipart("with two files", 422, "invalid_field", file("t.glb", glb), file("u.glb", glb)));
    c.add(multipart("with two previews", 422, "invalid_field", file("t.glb", glb), Part.file("preview", "a.png", "image/png", png),
        Part.file("preview", "b.png", "image/png", png)));
    c.add(multipart("with the name twice", 422, "invalid_field", file("t.glb", glb), Part.field("name", "a"), Part.field("name", "b")));
    c.add(multipart("name blank", 422, "invalid_field", file("t.glb", glb), Part.field("name", "  ")));
    c.add(multipart("name 201 chars", 422, "invalid_field", file("t.glb", glb), Part.field("name", "n".repeat(201))));
    c.add(multipart("name with NUL", 422, "invalid_field", file("t.glb", glb), Part.field("name", "a\u0000b")));
    c.add(multipart("name not UTF-8", 422, "invalid_field", file("t.glb", glb),
        new Part("name", null, null, new byte[] {'a', (byte) 0xC3, (byte) 0x28})));
    c.add(multipart("description 2001 chars", 422, "invalid_field", file("t.glb", glb), Part.field("description", "d".repeat(2001))));
    c.add(multipart("format unknown", 422, "invalid_field", file("t.glb", glb), Part.field("format", "STL")));
    c.add(multipart("format SQL", 422, "invalid_field", file("t.glb", glb), Part.field("format", "'; DROP TABLE models; --")));
    c.add(multipart("a file named .stl, no format", 422, "invalid_field", file("t.stl", glb)));
    c.add(multipart("a file with no name, no format", 422, "invalid_field", Part.file("file", "", null, glb)));

    // ---- POST /models: a file that is not what it claims.
    c.add(multipart("a PNG named .glb", 422, "invalid_model", file("t.glb", png)));
    c.add(multipart("a PNG named .obj", 422, "invalid_model", file("t.obj", png)));
    c.add(multipart("a PNG named .gltf", 422, "invalid_model", file("t.gltf", png)));
    c.add(multipart("an OBJ named .glb", 422, "invalid_model", file("t.glb", obj)));
    c.add(multipart("a GLB named .obj", 422, "invalid_model", file("t.obj", glb)));
    c.add(multipart("a GLB named .gltf", 422, "invalid_model", file("t.gltf", glb)));
    c.add(multipart("a .gltf named .glb", 422, "invalid_model", file("t.glb", gltf)));
    c.add(multipart("a GLB whose format says OBJ", 422, "invalid_model", file("t.glb", glb), Part.field("format", "OBJ")));
    c.add(multipart("an empty .glb", 422, "invalid_model", file("t.glb", new byte[0])));
    c.add(multipart("a truncated GLB", 422, "invalid_model", file("t.glb", Arrays.copyOf(glb, glb.length - 30))));
    c.add(multipart("a GLB header only", 422, "invalid_model", file("t.glb", Arrays.copyOf(glb, 12))));
    c.add(multipart("a GLB with an index past its vertices", 422, "invalid_model",
        file("t.glb", Meshes.glb(j -> j.getJsonArray("accessors").getJsonObject(0).put("count", 2)))));
    c.add(multipart("a GLB of glTF 1.0", 422, "invalid_model", file("t.glb", Meshes.glb(j -> j.getJsonObject("asset").put("version", "1.0")))));
    c.add(multipart("a GLB without meshes", 422, "invalid_model", file("t.glb", Meshes.glb(j -> j.remove("meshes")))));
    c.add(multipart("a .gltf with an outside buffer", 422, "invalid_model", file("t.gltf", Meshes.gltfWithExternalBuffer())));
    c.add(multipart("JSON that is no glTF", 422, "invalid_model", file("t.gltf", utf8("{\"hello\": \"world\"}"))));
    c.add(multipart("a .gltf that is no JSON", 422, "invalid_model", file("t.gltf", utf8("{ not json"))));
    c.add(multipart("an OBJ with no faces", 422, "invalid_model", file("t.obj", utf8("v 0 0 0\nv 1 0 0\nv 0 1 0\n"))));
    c.add(multipart("an OBJ naming a vertex it lacks", 422, "invalid_model", file("t.obj", utf8("v 0 0 0\nv 1 0 0\nf 1 2 9\n"))));
    c.add(multipart("an OBJ with a bad number", 422, "invalid_model", file("t.obj", utf8("v 0 0 x\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"))));
    c.add(multipart("text that is no OBJ", 422, "invalid_model", file("t.obj", utf8("hello, world\n"))));

    // ---- POST /models: the preview.
    c.add(multipart("a preview as text", 415, "unsupported_media_type", file("t.glb", glb), Part.file("preview", "p.txt", "text/plain", png)));
    c.add(multipart("a preview with no type", 415, "unsupported_media_type", file("t.glb", glb), Part.file("preview", "p", null, png)));
    c.add(multipart("a preview that is no image", 422, "invalid_image", file("t.glb", glb), Part.file("preview", "p.png", "image/png", glb)));
    c.add(multipart("a JPEG preview sent as PNG", 422, "invalid_image", file("t.glb", glb), Part.file("preview", "p.png", "image/png", jpeg)));
    c.add(multipart("an empty preview", 422, "invalid_image", file("t.glb", glb), Part.file("preview", "p.png", "image/png", new byte[0])));
    c.add(multipart("a preview of 8192x8192", 422, "image_too_large", file("t.glb", glb),
        Part.file("preview", "p.png", "image/png", Pngs.blank(8192, 8192))));
    c.add(multipart("a good preview of a bad model", 422, "invalid_model", file("t.glb", png), Part.file("preview", "p.png", "image/png", png)));
    byte[] big = new byte[MODEL_LIMIT + 1];
    System.arraycopy(obj, 0, big, 0, obj.length);
    Arrays.fill(big, obj.length, big.length, (byte) '\n');
    c.add(multipart("a body over KILN_MODEL_UPLOAD_LIMIT", 413, "payload_too_large", file("t.obj", big)));

    // ---- The {id} routes.
    ApiBadInputTest.ids(c, "GET /models/{id}", "GET", API + "/models/%s", null);
    ApiBadInputTest.ids(c, "DELETE /models/{id}", "DELETE", API + "/models/%s", null);
    for (String id : List.of("not-a-uuid", "42", "%27%20OR%201%3D1%20--", UUID.randomUUID() + "0")) {
      c.add(request("PATCH /models/{id} id " + id, "PATCH", API + "/models/" + id, "application/json", utf8("{\"name\":\"x\"}"),
          400, "invalid_id"));
    }
    c.add(request("PATCH /models/{id} id unknown", "PATCH", API + "/models/" + UUID.randomUUID(), "application/json",
        utf8("{\"name\":\"x\"}"), 404, "not_found"));
    for (String action : List.of("publish", "unpublish", "like", "favorite")) {
      ApiBadInputTest.ids(c, "POST /models/{id}/" + action, "POST", API + "/models/%s/" + action, new byte[0]);
      String path = API + "/models/" + published + "/" + action;
      c.add(request("POST /models/{id}/" + action + " with a field", "POST", path, "application/json", utf8("{\"x\":1}"), 422, "unknown_field"));
      c.add(request("POST /models/{id}/" + action + " as text", "POST", path, "text/plain", utf8("x"), 415, "unsupported_media_type"));
      c.add(request("POST /models/{id}/" + action + " with a query", "POST", path + "?x=1", null, new byte[0], 400, "unknown_parameter"));
    }
    ApiBadInputTest.ids(c, "GET /gallery/{id}", "GET", API + "/gallery/%s", null);
    c.add(get("GET /models/{id} with a query", API + "/models/" + published + "?x=1", 400, "unknown_parameter"));
    c.add(get("GET /gallery/{id} with a query", API + "/gallery/" + published + "?x=1", 400, "unknown_parameter"));
    c.add(get("GET /gallery/{id} of a private model, its owner's too", API + "/gallery/" + hidden, 404, "not_found"));
    c.add(get("GET /gallery/{id} of a deleted model", API + "/gallery/" + deleted, 404, "not_found"));
    c.add(get("GET /models/{id} of a deleted model", API + "/models/" + deleted, 404, "not_found"));
    c.add(post("POST /models/{id}/publish while generating", API + "/models/" + generating + "/publish", 409, "model_not_ready"));
    c.add(request("DELETE /models/{id} while generating", "DELETE", API + "/models/" + generating, null, null, 409, "model_generating"));
    for (String action : List.of("like", "favorite", "publish", "unpublish")) {
      c.add(post("POST /models/{id}/" + action + " of a deleted model", API + "/models/" + deleted + "/" + action, 404, "not_found"));
      c.add(post("POST /models/{id}/" + action + " of another's private model", API + "/models/" + hidden + "/" + action, 404,
          "not_found").key(null).header("Authorization", "Bearer " + userToken));
    }
    c.add(post("POST /models/{id}/publish of another's published model", API + "/models/" + published + "/publish", 404,
        "not_found").key(null).header("Authorization", "Bearer " + userToken));

    // ---- PATCH /models/{id}: a JSON object of known, typed, bounded fields.
    String patch = API + "/models/" + published;
    ApiBadInputTest.bodies(c, "PATCH /models/{id}", "PATCH", patch, "{\"name\":\"x\"}", dev.kiln.launcher.KilnNode.ADMIN_KEY);
    String[][] patchBad = {
        {"nothing to change", "{}", "missing_field"},
        {"name null", "{\"name\":null}", "invalid_field"},
        {"name empty", "{\"name\":\"\"}", "invalid_field"},
        {"name 201 chars", "{\"name\":\"" + "n".repeat(201) + "\"}", "invalid_field"},
        {"name number", "{\"name\":7}", "invalid_field"},
        {"description number", "{\"description\":7}", "invalid_field"},
        {"description 2001 chars", "{\"description\":\"" + "d".repeat(2001) + "\"}", "invalid_field"},
        {"visibility is not editable", "{\"visibility\":\"PUBLIC\"}", "unknown_field"},
        {"like_count is not editable", "{\"like_count\":1000}", "unknown_field"},
    };
    for (String[] b : patchBad) {
      c.add(request("PATCH /models/{id} " + b[0], "PATCH", patch, "application/json", utf8(b[1]), 422, b[2]));
    }
    c.add(request("PATCH /models/{id} of another's published model", "PATCH", patch, "application/json", utf8("{\"name\":\"x\"}"),
        404, "not_found").key(null).header("Authorization", "Bearer " + userToken));

    // ---- Lists: the gallery and the caller's own.
    String gallery = API + "/gallery";
    String latestCursor = Base64.getUrlEncoder().withoutPadding().encodeToString(
        utf8("latest|0|2026-01-01T00:00:00Z|" + UUID.randomUUID()));
    String[][] galleryBad = {
        {"unknown parameter", "visibility=PRIVATE", "unknown_parameter"},
        {"sort unknown", "sort=oldest", "invalid_parameter"},
        {"sort upper case", "sort=LATEST", "invalid_parameter"},
        {"sort twice", "sort=latest&sort=popular", "invalid_parameter"},
        {"sort SQL", "sort=latest%3B%20DROP%20TABLE%20models", "invalid_parameter"},
        {"limit 0", "limit=0", "invalid_parameter"},
        {"limit 101", "limit=101", "invalid_parameter"},
        {"limit text", "limit=ten", "invalid_parameter"},
        {"cursor garbage", "cursor=garbage", "invalid_cursor"},
        {"a latest cursor in popular order", "sort=popular&cursor=" + latestCursor, "invalid_cursor"},
        {"a task list cursor", "cursor=" + dev.kiln.http.api.Cursor.encode(java.time.OffsetDateTime.now(), UUID.randomUUID()), "invalid_cursor"},
    };
    for (String[] b : galleryBad) c.add(get("GET /gallery " + b[0], gallery + "?" + b[1], 400, b[2]));
    for (String mine : List.of("/me/models", "/me/likes", "/me/favorites")) {
      c.add(get("GET " + mine + " unknown parameter", API + mine + "?sort=latest", 400, "unknown_parameter"));
      c.add(get("GET " + mine + " limit 0", API + mine + "?limit=0", 400, "invalid_parameter"));
      c.add(get("GET " + mine + " limit 101", API + mine + "?limit=101", 400, "invalid_parameter"));
      c.add(get("GET " + mine + " cursor garbage", API + mine + "?cursor=%21%21", 400, "invalid_cursor"));
      c.add(get("GET " + mine + " a gallery cursor", API + mine + "?cursor=" + latestCursor, 400, "invalid_cursor"));
    }

    // ---- Signed URLs of a model's file and preview: the signature is the credential.
    long later = System.currentTimeMillis() / 1000 + 3600, earlier = System.currentTimeMillis() / 1000 - 10;
    for (String part : List.of("content", "preview")) {
      String path = API + "/models/" + published + "/" + part;
      String subject = "model/" + published + "/" + part;
      String other = part.equals("content") ? "preview" : "content";
      c.add(get("GET /models/{id}/" + part + " unsigned", path, 403, "invalid_signature").key(null));
      c.add(get("GET /models/{id}/" + part + " expired", signed(path, subject, earlier), 403, "url_expired").key(null));
      c.add(get("GET /models/{id}/" + part + " signed for the " + other, signed(path, "model/" + published + "/" + other, later), 403,
          "invalid_signature").key(null));
      c.add(get("GET /models/{id}/" + part + " signed as an asset", signed(path, published, later), 403, "invalid_signature").key(null));
      c.add(get("GET /models/{id}/" + part + " signed for another model", signed(path, "model/" + hidden + "/" + part, later), 403,
          "invalid_signature").key(null));
      c.add(get("GET /models/{id}/" + part + " with an unknown parameter", signed(path, subject, later) + "&x=1", 400,
          "unknown_parameter").key(null));
      c.add(get("GET /models/{id}/" + part + " id not a UUID", signed(API + "/models/nope/" + part, "model/nope/" + part, later), 403,
          "invalid_signature").key(null));
      c.add(get("GET /models/{id}/" + part + " of a deleted model", signed(API + "/models/" + deleted + "/" + part,
          "model/" + deleted + "/" + part, later), 404, "not_found").key(null));
      c.add(get("GET /models/{id}/" + part + " of a model with none yet", signed(API + "/models/" + generating + "/" + part,
          "model/" + generating + "/" + part, later), 404, "not_found").key(null));
    }
    c.add(request("GET asset URL signed for a model's file", "GET", signed(API + "/assets/" + published + "/content",
        "model/" + published + "/content", later), null, null, 403, "invalid_signature").key(null));

    // ---- Credentials, on every new endpoint that wants them: the gallery too.
    List<Case> endpoints = List.of(
        multipart("credentials", 0, null, file("t.glb", glb)),
        get("GET /models/{id}", API + "/models/" + published, 0, null),
        request("PATCH /models/{id}", "PATCH", patch, "application/json", utf8("{\"name\":\"x\"}"), 0, null),
        request("DELETE /models/{id}", "DELETE", patch, null, null, 0, null),
        post("POST /models/{id}/publish", patch + "/publish", 0, null),
        post("POST /models/{id}/unpublish", patch + "/unpublish", 0, null),
        post("POST /models/{id}/like", patch + "/like", 0, null),
        post("POST /models/{id}/favorite", patch + "/favorite", 0, null),
        get("GET /gallery", gallery, 0, null),
        get("GET /gallery/{id}", gallery + "/" + published, 0, null),
        get("GET /me/models", API + "/me/models", 0, null),
        get("GET /me/likes", API + "/me/likes", 0, null),
        get("GET /me/favorites", API + "/me/favorites", 0, null));
    for (Case e : endpoints) {
      c.add(e.expect(e.name() + " no credentials", 401, "unauthorized").key(null));
      c.add(e.expect(e.name() + " unknown X-Auth-Key", 401, "unauthorized").key("not-a-key-of-this-kiln-000"));
      c.add(e.expect(e.name() + " Authorization Bearer garbage", 401, "unauthorized").key(null)
          .header("Authorization", "Bearer garbage-not-a-token"));
      c.add(e.expect(e.name() + " X-User-Id with illegal characters", 400, "invalid_user_id").header("X-User-Id", "bad user!"));
    }

    // ---- Routes and methods.
    c.add(request("PUT /models/{id}", "PUT", patch, "application/json", utf8("{}"), ANY_4XX, null));
    c.add(request("POST /gallery", "POST", gallery, "application/json", utf8("{}"), ANY_4XX, null));
    c.add(request("DELETE /gallery/{id}", "DELETE", gallery + "/" + published, null, null, ANY_4XX, null));
    c.add(get("GET /models/{id}/like", patch + "/like", ANY_4XX, null));
    c.add(get("GET /models (no list: /me/models or /gallery)", API + "/models", ANY_4XX, null));
    c.add(request("POST /models/{id}/content", "POST", patch + "/content", null, new byte[0], ANY_4XX, null).key(null));
    c.add(BadRequests.raw("raw: model id with bad percent-encoding", "GET " + API + "/models/%zz HTTP/1.1", 400, "bad_request"));
    c.add(BadRequests.raw("raw: gallery cursor with bad percent-encoding", "GET " + gallery + "?cursor=%zz HTTP/1.1", 400, "bad_request"));
    return c;
  }

  @TestFactory
  Stream<DynamicTest> rejectedRequestsAreProblemsAndLeaveNoTrace() throws Exception {
    Map<String, Object> before = snapshot();
    return BadRequests.sweep(kiln.port(), rejected(), "nothing changed: rows, counts, stored files", () -> assertEquals(before, snapshot()),
        DynamicTest.dynamicTest("no upload is left on disk", () -> dev.kiln.testing.Eventually.await("uploads deleted",
            java.time.Duration.ofSeconds(10), () -> files(kiln.node().dataDir.resolve("uploads")) == 0)),
        DynamicTest.dynamicTest("the node still takes a valid model", () -> {
          JsonObject m = ModelsTest.uploadGlb(kiln.api(), "after the sweep");
          assertEquals(200, kiln.api().post(API + "/models/" + m.getString("id") + "/like", "").status());
        }));
  }

  private static long files(Path dir) throws Exception {
    if (!Files.exists(dir)) return 0;
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  private static Map<String, Object> snapshot() throws Exception {
    Map<String, Object> out = new LinkedHashMap<>();
    try (Sql sql = kiln.sql()) {
      for (String t : List.of("models", "model_interactions")) {
        out.put(t, sql.count("SELECT count(*) FROM " + t));
        out.put(t + " content", sql.rows("SELECT md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS h FROM "
            + t + " x").get(0).get("h"));
      }
    }
    out.put("asset files", files(kiln.node().dataDir.resolve("assets")));
    return out;
  }
}
