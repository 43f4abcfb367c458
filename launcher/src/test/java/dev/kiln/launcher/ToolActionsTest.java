package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Pngs;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.CRC32;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every tool_action of DESIGN §8 through the real path: images uploaded, named by id, kept as
 * the task's input assets (seed 000) with a signed input_preview, run by the demo providers,
 * and their outputs fetched by signed, expiring URLs.
 */
class ToolActionsTest {
  static final String SIGNING_KEY = "test-signing-key-0123456789";

  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_SIGNING_KEY", SIGNING_KEY,
      "KILN_UPLOAD_LIMIT", String.valueOf(4 * 1024 * 1024)));
  private static Api api;
  private static byte[] source;
  private static byte[] reference;
  private static JsonObject sourceFile;
  private static JsonObject referenceFile;

  @BeforeAll
  static void start() throws Exception {
    api = kiln.api().forUser("artist");
    source = png(256, 192, new Color(40, 120, 200), new Color(230, 200, 60));
    reference = png(128, 128, new Color(200, 40, 90), new Color(20, 200, 120));
    sourceFile = upload(api, source);
    referenceFile = upload(api, reference);
  }

  /** A flat background with a disc in the middle: something for every filter to work on. */
  static byte[] png(int w, int h, Color background, Color subject) throws Exception {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(background);
    g.fillRect(0, 0, w, h);
    g.setColor(subject);
    g.fillOval(w / 4, h / 6, w / 2, h * 2 / 3);
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  static JsonObject upload(Api as, byte[] bytes) throws Exception {
    Api.Reply r = as.post("/api/v1/files", "image/png", bytes);
    assertEquals(201, r.status(), r.body());
    return r.json();
  }

  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  private static JsonObject runToCompletion(String action, JsonObject input) throws Exception {
    String id = api.submit(new JsonObject().put("tool_action", action).put("input", input)).getString("id");
    JsonObject done = api.awaitEnded(id, Duration.ofSeconds(60));
    assertEquals("completed", done.getString("status"), action + ": " + done.encodePrettily());
    return done;
  }

  private static List<JsonObject> assets(String taskId, String type) throws Exception {
    List<JsonObject> out = new ArrayList<>();
    for (Object o : api.get("/api/v1/tasks/" + taskId + "/assets").json().getJsonArray("items")) {
      if (type.equals(((JsonObject) o).getString("asset_type"))) out.add((JsonObject) o);
    }
    return out;
  }

  /** Fetches a signed URL with no credentials at all and checks the bytes against the asset row. */
  private static byte[] fetchSigned(JsonObject asset) throws Exception {
    byte[] bytes = api.anonymous().bytes(asset.getString("url"));
    assertEquals(asset.getLong("size_bytes"), (long) bytes.length, asset.encode());
    assertEquals(asset.getString("checksum"), sha256(bytes), asset.encode());
    return bytes;
  }

  private static BufferedImage decode(byte[] png) throws Exception {
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
    assertNotNull(img, "decodes as an image");
    return img;
  }

  /** A signed URL whose file is gone is a 404 that no cache keeps (the URL itself may be good for an hour). */
  @Test
  void aMissingFileBehindASignedUrlIsANotFoundNobodyCaches() throws Exception {
    byte[] lost = png(64, 48, new Color(10, 20, 30), new Color(200, 100, 50));
    JsonObject file = upload(api, lost);
    try (var walk = Files.walk(kiln.node().dataDir)) {
      for (Path f : walk.filter(Files::isRegularFile).toList()) {
        if (Arrays.equals(Files.readAllBytes(f), lost)) Files.delete(f);
      }
    }
    Api.Reply r = api.anonymous().get(file.getString("url"));
    assertEquals(404, r.status(), r.body());
    String cache = r.header("Cache-Control");
    assertEquals("no-store", cache, "a problem is never cached");
  }

  @Test
  void anUploadIsDescribedAndServedBySignedUrl() throws Exception {
    assertEquals(256, sourceFile.getInteger("width"));
    assertEquals(192, sourceFile.getInteger("height"));
    assertEquals(sha256(source), sourceFile.getString("checksum"));
    assertArrayEquals(source, api.anonymous().bytes(sourceFile.getString("url")));
    assertEquals(200, api.get("/api/v1/files/" + sourceFile.getString("id")).status());
    assertEquals(404, kiln.api().forUser("someone-else").get("/api/v1/files/" + sourceFile.getString("id")).status());
  }

  @Test
  void everyImageActionRunsOnItsInputsAndKeepsThemAsInputAssets() throws Exception {
    String src = sourceFile.getString("id");
    String ref = referenceFile.getString("id");
    Map<String, JsonObject> inputs = Map.of(
        "image.hires", new JsonObject().put("source_image", src).put("scale", 2),
        "image.pattern-extract", new JsonObject().put("source_image", src).put("config", new JsonObject().put("colors", 4)),
        "image.head-swap", new JsonObject().put("mode", "HEAD_SWAP").put("source_image", src).put("reference_image", ref),
        "image.background-change", new JsonObject().put("mode", "BACKGROUND_CHANGE").put("source_image", src).put("reference_image", ref),
        "image.pose-change", new JsonObject().put("mode", "POSE_CHANGE").put("source_image", src).put("config", new JsonObject().put("strength", 0.4)));
    for (var e : inputs.entrySet()) {
      JsonObject task = runToCompletion(e.getKey(), e.getValue());
      String id = task.getString("id");
      JsonObject result = task.getJsonObject("result");
      assertTrue(result.getBoolean("stand_in"), "the demo provider says it is a stand-in: " + result);

      List<JsonObject> in = assets(id, "input");
      assertEquals(e.getValue().containsKey("reference_image") ? 2 : 1, in.size(), e.getKey());
      assertEquals("source_image.png", in.get(0).getString("file_name"), "the source first: " + in);
      assertEquals(sha256(source), in.get(0).getString("checksum"));
      if (in.size() == 2) assertEquals(sha256(reference), in.get(1).getString("checksum"));
      // seed 000: result.input_preview is the first input image, fetchable as is
      assertArrayEquals(source, api.anonymous().bytes(result.getString("input_preview")), e.getKey());

      List<JsonObject> out = assets(id, "output");
      assertTrue(out.size() >= 1, e.getKey() + " made an output");
      BufferedImage img = decode(fetchSigned(out.get(0)));
      assertEquals(out.get(0).getInteger("width"), img.getWidth());
      assertEquals(out.get(0).getInteger("height"), img.getHeight());
      if (e.getKey().equals("image.hires")) {
        assertEquals(512, img.getWidth());
        assertEquals(384, img.getHeight());
      }
    }
  }

  @Test
  void anOutputOfOneTaskIsTheSourceOfTheNextAndModel3dMakesAGlb() throws Exception {
    JsonObject generated = runToCompletion("image.generate", new JsonObject().put("prompt", "a teapot").put("width", 96)
        .put("height", 96).put("num_inference_steps", 2));
    String image = assets(generated.getString("id"), "output").get(0).getString("id");
    JsonObject model = runToCompletion("model3d.generate", new JsonObject().put("source_image", image)
        .put("config", new JsonObject().put("resolution", 16)));
    List<JsonObject> out = assets(model.getString("id"), "output");
    JsonObject glb = out.stream().filter(a -> "model/gltf-binary".equals(a.getString("mime_type"))).findFirst().orElseThrow();
    byte[] bytes = fetchSigned(glb);
    assertEquals("glTF", new String(bytes, 0, 4, StandardCharsets.US_ASCII));
    assertEquals(2, ByteBuffer.wrap(bytes, 4, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(), "glTF 2.0");
    assertEquals(bytes.length, ByteBuffer.wrap(bytes, 8, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(), "the header's length");
    assertTrue(out.stream().anyMatch(a -> a.getString("file_name").endsWith(".obj")), "an OBJ too: " + out);

    // A model is not an image: it cannot be the source of an image edit.
    Api.Reply r = api.post("/api/v1/tasks", new JsonObject().put("tool_action", "image.hires")
        .put("input", new JsonObject().put("source_image", glb.getString("id"))).encode());
    assertEquals(422, r.status(), r.body());
    assertEquals("invalid_image", r.json().getString("code"));
  }

  @Test
  void imagesMustBeTheCallersOwnAndInputsMatchTheirSchema() throws Exception {
    String theirs = upload(kiln.api().forUser("someone-else"), source).getString("id");
    List<JsonObject> bad = List.of(
        new JsonObject().put("tool_action", "image.hires").put("input", new JsonObject().put("source_image", theirs)),
        new JsonObject().put("tool_action", "image.hires").put("input", new JsonObject().put("source_image", UUID.randomUUID().toString())));
    for (JsonObject b : bad) {
      Api.Reply r = api.post("/api/v1/tasks", b.encode());
      assertEquals(422, r.status(), r.body());
      assertEquals("invalid_image", r.json().getString("code"));
    }
    String src = sourceFile.getString("id");
    List<JsonObject> invalid = List.of(
        new JsonObject().put("tool_action", "image.head-swap").put("input", new JsonObject().put("source_image", src)),
        new JsonObject().put("tool_action", "image.head-swap").put("input", new JsonObject().put("mode", "POSE_CHANGE")
            .put("source_image", src).put("reference_image", src)),
        new JsonObject().put("tool_action", "image.hires").put("input", new JsonObject().put("source_image", "file_abc123")),
        new JsonObject().put("tool_action", "image.hires").put("input", new JsonObject().put("source_image", src).put("scale", 9)),
        new JsonObject().put("tool_action", "model3d.generate").put("input", new JsonObject().put("source_image", src)
            .put("config", new JsonObject().put("resolution", 100000))),
        new JsonObject().put("tool_action", "image.pattern-extract").put("input", new JsonObject()));
    for (JsonObject b : invalid) {
      Api.Reply r = api.post("/api/v1/tasks", b.encode());
      assertEquals(422, r.status(), b + " -> " + r.body());
      assertEquals("invalid_input", r.json().getString("code"), r.body());
    }
  }

  @Test
  void aTaskKeepsItsChannel() throws Exception {
    String id = api.submit(new JsonObject().put("tool_action", "debug.noop").put("channel", "web-ui")).getString("id");
    assertEquals("web-ui", api.task(id).getString("channel"));
    JsonArray webUi = api.get("/api/v1/tasks?channel=web-ui").json().getJsonArray("items");
    assertEquals(List.of(id), webUi.stream().map(t -> ((JsonObject) t).getString("id")).toList());
    Api.Reply r = api.post("/api/v1/tasks", new JsonObject().put("tool_action", "debug.noop").put("channel", "batch").encode());
    assertEquals(422, r.status(), "only POST /batches makes batch tasks");
  }

  @Test
  void signedUrlsCannotBeForgedOrUsedLate() throws Exception {
    String url = sourceFile.getString("url");
    String tampered = url.substring(0, url.length() - 2) + (url.endsWith("AA") ? "BB" : "AA");
    Api.Reply forged = api.anonymous().get(tampered);
    assertEquals(403, forged.status());
    assertEquals("invalid_signature", forged.json().getString("code"));
    String other = url.replace(sourceFile.getString("id"), referenceFile.getString("id"));
    assertEquals(403, api.anonymous().get(other).status(), "a signature is for one file");

    long past = System.currentTimeMillis() / 1000 - 5;
    String id = sourceFile.getString("id");
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SIGNING_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String sig = Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal((id + "\n" + past).getBytes(StandardCharsets.US_ASCII)));
    Api.Reply late = api.anonymous().get("/api/v1/assets/" + id + "/content?expires=" + past + "&signature=" + sig);
    assertEquals(403, late.status());
    assertEquals("url_expired", late.json().getString("code"));
    assertEquals(403, api.anonymous().get("/api/v1/assets/" + id + "/content").status(), "no signature, no file");
  }

  @Test
  void anUploadThatIsNoImageIsRefused() throws Exception {
    long files;
    try (Sql sql = kiln.sql()) {
      files = sql.count("SELECT count(*) FROM files");
    }
    Api.Reply text = api.post("/api/v1/files", "text/plain", "hello".getBytes(StandardCharsets.UTF_8));
    assertEquals(415, text.status());
    assertEquals("unsupported_media_type", text.json().getString("code"));
    Api.Reply garbage = api.post("/api/v1/files", "image/png", "not a png at all".getBytes(StandardCharsets.UTF_8));
    assertEquals(422, garbage.status());
    assertEquals("invalid_image", garbage.json().getString("code"));
    Api.Reply truncated = api.post("/api/v1/files", "image/png", Arrays.copyOf(source, source.length / 2));
    assertEquals(422, truncated.status());
    Api.Reply bomb = api.post("/api/v1/files", "image/png", claimingSize(source, 100_000, 100_000));
    assertEquals(422, bomb.status(), bomb.body());
    assertEquals("image_too_large", bomb.json().getString("code"));
    Api.Reply empty = api.post("/api/v1/files", "image/png", new byte[0]);
    assertEquals(422, empty.status());
    Api.Reply huge = api.post("/api/v1/files", "image/png", new byte[5 * 1024 * 1024]);
    assertEquals(413, huge.status());
    assertEquals("payload_too_large", huge.json().getString("code"));
    try (Sql sql = kiln.sql()) {
      assertEquals(files, sql.count("SELECT count(*) FROM files"), "nothing was stored");
    }
  }

  /**
   * The hostile tester's bomb: a whole, valid 8 KB PNG of an 8192x8192 canvas (67 MP, 256 MB as
   * ARGB), 16 at once. Each is refused from its header, fast, and the node stays healthy.
   */
  @Test
  void aDecompressionBombIsRefusedFromItsHeaderAndTheNodeStaysHealthy() throws Exception {
    byte[] bomb = Pngs.blank(8192, 8192);
    assertTrue(bomb.length < 64 * 1024, "small on disk: " + bomb.length);
    long files;
    try (Sql sql = kiln.sql()) {
      files = sql.count("SELECT count(*) FROM files");
    }
    long started = System.nanoTime();
    List<java.util.concurrent.CompletableFuture<Api.Reply>> uploads = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      uploads.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return api.post("/api/v1/files", "image/png", bomb);
        } catch (Exception e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      }));
    }
    for (var u : uploads) {
      Api.Reply r = u.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(422, r.status(), r.body());
      assertEquals("image_too_large", r.json().getString("code"));
      assertTrue(r.json().getString("detail").contains("67108864"), r.body());
    }
    long ms = (System.nanoTime() - started) / 1_000_000;
    assertTrue(ms < 10_000, "16 refusals took " + ms + " ms: were they decoded?");
    long healthStarted = System.nanoTime();
    assertEquals(200, api.anonymous().get("/health").status());
    long healthMs = (System.nanoTime() - healthStarted) / 1_000_000;
    assertTrue(healthMs < 1_000, "/health took " + healthMs + " ms");
    System.out.println("decompression bombs: 16 refused in " + ms + " ms, /health then " + healthMs + " ms");
    try (Sql sql = kiln.sql()) {
      assertEquals(files, sql.count("SELECT count(*) FROM files"), "nothing was stored");
    }
    // Within the limits the same kind of file is an image like any other.
    assertEquals(2048, upload(api, Pngs.blank(2048, 1024)).getInteger("width"));
  }

  /** The PNG with its header rewritten to claim another canvas (CRC fixed, so only the size is wrong). */
  static byte[] claimingSize(byte[] png, int w, int h) {
    byte[] out = png.clone();
    ByteBuffer b = ByteBuffer.wrap(out);
    b.putInt(16, w).putInt(20, h); // IHDR data starts at 16: width, height
    CRC32 crc = new CRC32();
    crc.update(out, 12, 17); // "IHDR" + 13 bytes of data
    b.putInt(29, (int) crc.getValue());
    return out;
  }
}
