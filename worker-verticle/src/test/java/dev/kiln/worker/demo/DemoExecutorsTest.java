package dev.kiln.worker.demo;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.asset.AssetStore;
import dev.kiln.common.asset.ClusterAssetStore;
import dev.kiln.common.asset.DirectoryAssetStore;
import dev.kiln.common.config.ImageLimits;
import dev.kiln.common.hash.Sha256;
import dev.kiln.common.image.BoundedImageDecoder;
import dev.kiln.task.ErrorCode;
import dev.kiln.testing.Pngs;
import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Outcome;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo providers run as the worker runs them (on a Vert.x event loop, with real files in a
 * directory asset store) and are checked the way a user would check their output: files there with
 * the stated size and checksum, images that decode to the stated size, a glTF that parses.
 */
class DemoExecutorsTest {
  private static final int BLUE = 0xff2040c0;
  private static final int RED = 0xffd02020;
  private static Vertx vertx;
  /** A node's decoder with the default limits. */
  private static final BoundedImageDecoder DECODER = new BoundedImageDecoder(ImageLimits.DEFAULT);

  @TempDir
  Path assetDir;

  private AssetStore assets;

  private final List<Integer> progress = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @BeforeEach
  void store() {
    assets = new DirectoryAssetStore(assetDir);
  }

  @AfterAll
  static void stopVertx() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, SECONDS);
  }

  // ---- image.hires ----

  @Test
  void hiresUpscalesByTheExactFactor() throws Exception {
    BufferedImage src = subjectOnBackground(37, 23);
    Outcome o = run(new DemoHires(), new JsonObject().put("scale", 2.5), images(src, null));
    JsonObject asset = onlyAsset(o);
    BufferedImage out = checkPng(asset);
    assertEquals(Math.round(37 * 2.5), out.getWidth());
    assertEquals(Math.round(23 * 2.5), out.getHeight());
    assertStandIn(o, asset);
    // Upscaled, not replaced: the centre keeps the subject's colour.
    assertClose(BLUE, out.getRGB(out.getWidth() / 2, out.getHeight() / 2), 30);
  }

  @Test
  void hiresDefaultsToTwice() throws Exception {
    Outcome o = run(new DemoHires(), new JsonObject(), images(subjectOnBackground(40, 30), null));
    BufferedImage out = checkPng(onlyAsset(o));
    assertEquals(80, out.getWidth());
    assertEquals(60, out.getHeight());
  }

  @Test
  void hiresRefusesOutputsOver8192() throws Exception {
    Outcome o = run(new DemoHires(), new JsonObject().put("scale", 3), images(subjectOnBackground(3000, 10), null));
    assertBadInput(o);
    assertTrue(o.errorMessage().contains("8192"), o.errorMessage());
  }

  // ---- image.pattern-extract ----

  @Test
  void patternExtractUsesAtMostTheAskedColours() throws Exception {
    BufferedImage src = noisyGradient(90, 70);
    Outcome o = run(new DemoPatternExtract(), new JsonObject().put("seed", 7).put("config", new JsonObject().put("colors", 4)),
        images(src, null));
    JsonObject asset = onlyAsset(o);
    BufferedImage out = checkPng(asset);
    assertEquals(90, out.getWidth());
    assertEquals(70, out.getHeight());
    assertStandIn(o, asset);
    Set<Integer> distinct = distinctColours(out);
    assertTrue(distinct.size() <= 4, "colours: " + distinct.size());
    assertTrue(distinct.size() >= 2, "colours: " + distinct.size());
    JsonArray palette = o.result().getJsonArray("palette");
    assertEquals(distinct.size(), palette.size());
    double share = 0;
    for (Object p : palette) {
      JsonObject c = (JsonObject) p;
      assertTrue(c.getString("hex").matches("#[0-9a-f]{6}"), c.encode());
      assertTrue(distinct.contains(Integer.parseInt(c.getString("hex").substring(1), 16) | 0xff000000), c.encode());
      share += c.getDouble("share");
    }
    assertEquals(1.0, share, 0.01);
  }

  @Test
  void patternExtractIsRepeatableForASeedAndDefaultsToSixColours() throws Exception {
    BufferedImage src = noisyGradient(60, 60);
    Outcome a = run(new DemoPatternExtract(), new JsonObject().put("seed", 3), images(src, null));
    String first = onlyAsset(a).getString("checksum");
    assertTrue(distinctColours(checkPng(onlyAsset(a))).size() <= DemoPatternExtract.DEFAULT_COLORS);
    Outcome b = run(new DemoPatternExtract(), new JsonObject().put("seed", 3), images(src, null), "t-2");
    assertEquals(first, onlyAsset(b).getString("checksum"));
  }

  // ---- image.head-swap ----

  @Test
  void headSwapPastesTheReferenceTopIntoTheSourceTop() throws Exception {
    BufferedImage src = filled(200, 160, BLUE);
    BufferedImage ref = filled(120, 180, 0xff20a040);
    paint(ref, 0, 0, 120, 72, RED); // the reference's top 40 % is red
    Outcome o = run(new DemoHeadSwap(), new JsonObject(), images(src, ref));
    JsonObject asset = onlyAsset(o);
    BufferedImage out = checkPng(asset);
    assertEquals(200, out.getWidth());
    assertEquals(160, out.getHeight());
    assertStandIn(o, asset);
    JsonObject box = o.result().getJsonObject("paste_box");
    int cx = box.getInteger("x") + box.getInteger("width") / 2, cy = box.getInteger("y") + box.getInteger("height") / 2;
    assertClose(RED, out.getRGB(cx, cy), 12); // the mask is full in its middle
    assertEquals(BLUE, out.getRGB(2, 158)); // the lower corners stay the source's
    assertEquals(BLUE, out.getRGB(2, 2)); // outside the ellipse
  }

  @Test
  void headSwapNeedsAReference() throws Exception {
    assertBadInput(run(new DemoHeadSwap(), new JsonObject(), images(filled(50, 50, BLUE), null)));
  }

  // ---- image.background-change ----

  @Test
  void backgroundChangeReplacesTheBorderColourWithTheReference() throws Exception {
    BufferedImage src = subjectOnBackground(120, 90);
    BufferedImage ref = filled(40, 40, 0xff10c030);
    Outcome o = run(new DemoBackgroundChange(), new JsonObject(), images(src, ref));
    JsonObject asset = onlyAsset(o);
    BufferedImage out = checkPng(asset);
    assertEquals(120, out.getWidth());
    assertEquals(90, out.getHeight());
    assertStandIn(o, asset);
    assertEquals("#f0f0f0", o.result().getString("background_color"));
    assertEquals("reference_image", o.result().getString("backdrop"));
    assertClose(0xff10c030, out.getRGB(3, 3), 8);
    assertClose(BLUE, out.getRGB(60, 45), 8);
  }

  @Test
  void backgroundChangePaintsAGradientWithoutReferenceAndBlendsByStrength() throws Exception {
    BufferedImage src = subjectOnBackground(100, 80);
    Outcome full = run(new DemoBackgroundChange(), new JsonObject().put("prompt", "a beach").put("seed", 5), images(src, null));
    BufferedImage out = checkPng(onlyAsset(full));
    assertEquals("gradient", full.result().getString("backdrop"));
    assertTrue(distance(0xfff0f0f0, out.getRGB(2, 2)) > 20, "the corner should no longer be the old background");
    assertClose(BLUE, out.getRGB(50, 40), 8);

    Outcome none = run(new DemoBackgroundChange(), new JsonObject().put("config", new JsonObject().put("strength", 0)),
        images(src, null), "t-2");
    BufferedImage same = checkPng(onlyAsset(none));
    for (int[] p : new int[][] {{2, 2}, {50, 40}, {97, 77}}) assertEquals(src.getRGB(p[0], p[1]), same.getRGB(p[0], p[1]));
  }

  // ---- image.pose-change ----

  @Test
  void poseChangeMirrorsAndKeepsTheCanvas() throws Exception {
    BufferedImage src = filled(120, 80, RED);
    paint(src, 60, 0, 60, 80, BLUE); // left red, right blue
    Outcome o = run(new DemoPoseChange(), new JsonObject().put("config", new JsonObject().put("strength", 0)), images(src, null));
    JsonObject asset = onlyAsset(o);
    BufferedImage out = checkPng(asset);
    assertEquals(120, out.getWidth());
    assertEquals(80, out.getHeight());
    assertStandIn(o, asset);
    assertEquals(BLUE, out.getRGB(10, 40)); // strength 0 is a pure mirror
    assertEquals(RED, out.getRGB(110, 40));

    Outcome tilted = run(new DemoPoseChange(), new JsonObject(), images(src, null), "t-2");
    assertFalse(onlyAsset(tilted).getString("checksum").equals(asset.getString("checksum")), "the default strength warps");
  }

  @Test
  void poseChangeTakesTheReferenceAspectRatio() throws Exception {
    Outcome o = run(new DemoPoseChange(), new JsonObject(), images(subjectOnBackground(120, 80), filled(100, 200, RED)));
    BufferedImage out = checkPng(onlyAsset(o));
    assertEquals(0.5, (double) out.getWidth() / out.getHeight(), 0.02);
    assertEquals(120 * 80, out.getWidth() * out.getHeight(), 120 * 80 * 0.03);
  }

  // ---- model3d.generate ----

  @Test
  void model3dWritesGlbObjAndPreview() throws Exception {
    int r = 16;
    Outcome o = run(new DemoModel3d(), new JsonObject().put("config", new JsonObject().put("resolution", r).put("height_scale", 0.5)),
        images(subjectOnBackground(64, 48), null));
    assertTrue(o.success(), () -> o.toJson().encodePrettily());
    assertEquals(3, o.assets().size());
    JsonObject glbAsset = asset(o, "model.glb"), objAsset = asset(o, "model.obj"), previewAsset = asset(o, "preview.png");
    assertEquals("model/gltf-binary", glbAsset.getString("mime_type"));
    assertEquals("output", glbAsset.getString("asset_type"));
    assertEquals("model/obj", objAsset.getString("mime_type"));
    assertEquals("output", objAsset.getString("asset_type"));
    assertEquals("image/png", previewAsset.getString("mime_type"));
    assertEquals("preview", previewAsset.getString("asset_type"));

    JsonObject result = o.result();
    assertEquals(true, result.getBoolean("stand_in"));
    assertEquals("demo", result.getString("provider"));
    assertNotNull(result.getString("note"));
    assertEquals(r * r, result.getInteger("vertices"));
    assertEquals(2 * (r - 1) * (r - 1), result.getInteger("triangles"));
    for (JsonObject a : List.of(glbAsset, objAsset, previewAsset)) {
      assertEquals(a.getString("checksum"), result.getJsonObject("checksums").getString(a.getString("file_name")));
    }

    // Binary glTF 2.0: header, then a JSON chunk naming a mesh with POSITION.
    byte[] glb = checkFile(glbAsset);
    ByteBuffer buf = ByteBuffer.wrap(glb).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals("glTF", new String(glb, 0, 4, StandardCharsets.US_ASCII));
    assertEquals(2, buf.getInt(4));
    assertEquals(glb.length, buf.getInt(8));
    int jsonLength = buf.getInt(12);
    assertEquals(0x4E4F534A, buf.getInt(16)); // "JSON"
    JsonObject gltf = new JsonObject(new String(glb, 20, jsonLength, StandardCharsets.UTF_8).trim());
    assertEquals("2.0", gltf.getJsonObject("asset").getString("version"));
    JsonObject primitive = gltf.getJsonArray("meshes").getJsonObject(0).getJsonArray("primitives").getJsonObject(0);
    JsonObject attributes = primitive.getJsonObject("attributes");
    assertTrue(attributes.containsKey("POSITION"), attributes.encode());
    assertTrue(attributes.containsKey("COLOR_0"), attributes.encode());
    JsonObject position = gltf.getJsonArray("accessors").getJsonObject(attributes.getInteger("POSITION"));
    assertEquals(r * r, position.getInteger("count"));
    assertEquals(3, position.getJsonArray("max").size()); // required for POSITION by the spec
    assertEquals(2 * (r - 1) * (r - 1) * 3, gltf.getJsonArray("accessors").getJsonObject(primitive.getInteger("indices")).getInteger("count"));
    int binAt = 20 + jsonLength;
    assertEquals(0x004E4942, buf.getInt(binAt + 4)); // "BIN"
    assertEquals(glb.length, binAt + 8 + buf.getInt(binAt));

    // OBJ: r^2 vertices and 2 (r-1)^2 triangles, every index in range.
    List<String> lines = new String(checkFile(objAsset), StandardCharsets.UTF_8).lines().toList();
    assertEquals(r * r, lines.stream().filter(l -> l.startsWith("v ")).count());
    List<String> faces = lines.stream().filter(l -> l.startsWith("f ")).toList();
    assertEquals(2 * (r - 1) * (r - 1), faces.size());
    for (String f : faces) {
      String[] parts = f.split(" ");
      assertEquals(4, parts.length, f);
      for (int i = 1; i < 4; i++) {
        int v = Integer.parseInt(parts[i].split("//")[0]);
        assertTrue(v >= 1 && v <= r * r, f);
      }
    }

    BufferedImage preview = checkPng(previewAsset);
    assertTrue(distinctColours(preview).size() > 10, "the preview should be a render, not a blank");
    assertProgress();
  }

  // ---- every executor ----

  private static Stream<Executor> all() {
    return Stream.of(new DemoHires(), new DemoPatternExtract(), new DemoHeadSwap(), new DemoBackgroundChange(),
        new DemoPoseChange(), new DemoModel3d());
  }

  @Test
  void aMissingOrUnreadableSourceIsBadInput() throws Exception {
    Files.createDirectories(assetDir.resolve("inputs"));
    Files.writeString(assetDir.resolve("inputs/not-an-image.png"), "hello");
    writePng("inputs/ref.png", filled(20, 20, RED));
    for (Executor e : all().toList()) {
      Outcome absent = run(e, new JsonObject(), new JsonObject().put("reference_image", "inputs/ref.png"));
      assertBadInput(absent);
      assertTrue(absent.errorMessage().contains("source_image"), absent.errorMessage());
      assertBadInput(run(e, new JsonObject(), new JsonObject().put("source_image", "inputs/gone.png")
          .put("reference_image", "inputs/ref.png")));
      assertBadInput(run(e, new JsonObject(), new JsonObject().put("source_image", "inputs/not-an-image.png")
          .put("reference_image", "inputs/ref.png")));
    }
  }

  /**
   * A worker with KILN_WORKER_ASSETS=cluster and no store node up (this Vert.x serves no
   * AssetService): the input cannot be read now, which is not the input's fault, so every
   * executor that reads one fails retryable, never bad_input.
   */
  @Test
  void noAssetStoreNodeIsRetryableNotBadInput() throws Exception {
    assets = new ClusterAssetStore(vertx, "w-alone", 300);
    JsonObject images = new JsonObject().put("source_image", "files/src.png").put("reference_image", "files/ref.png");
    for (Executor e : all().toList()) {
      Outcome o = run(e, new JsonObject(), images);
      assertFalse(o.success(), e.toolAction());
      assertTrue(o.retryable(), () -> e.toolAction() + ": " + o.toJson().encodePrettily());
      assertEquals(ErrorCode.EXECUTOR_ERROR, o.errorCode(), e.toolAction());
      assertTrue(o.errorMessage().contains("no asset store node answered"), o.errorMessage());
    }
  }

  /** A decompression bomb (8 KB on disk, 8192x8192 = 67 MP) is bad input for every executor, refused from its header. */
  @Test
  void anInputOverTheImageLimitsIsBadInputAndNeverDecoded() throws Exception {
    Path bomb = assetDir.resolve("inputs/bomb.png");
    Files.createDirectories(bomb.getParent());
    Files.write(bomb, Pngs.blank(8192, 8192));
    writePng("inputs/ref.png", filled(20, 20, RED));
    for (Executor e : all().toList()) {
      long started = System.nanoTime();
      Outcome o = run(e, new JsonObject(), new JsonObject().put("source_image", "inputs/bomb.png").put("reference_image", "inputs/ref.png"));
      assertBadInput(o);
      assertFalse(o.retryable(), e.toolAction());
      assertTrue(o.errorMessage().contains("source_image") && o.errorMessage().contains("67108864"), o.errorMessage());
      long ms = (System.nanoTime() - started) / 1_000_000;
      assertTrue(ms < 2_000, e.toolAction() + " took " + ms + " ms: the bomb was decoded");
    }
  }

  /** A node with lower limits refuses what they exclude, an input as an output it would have to make. */
  @Test
  void theNodesLimitsBoundInputsAndTheOutputsTheyAskFor() throws Exception {
    BoundedImageDecoder small = new BoundedImageDecoder(new ImageLimits(ImageLimits.MAX_SIDE, 10_000, 1));
    Outcome input = runAttempt(new DemoHires(), attempt(new DemoHires(), new JsonObject().put("scale", 1),
        images(filled(120, 120, BLUE), null), "l-1", small));
    assertBadInput(input);
    assertTrue(input.errorMessage().contains("at most 10000 pixels"), input.errorMessage());
    Outcome output = runAttempt(new DemoHires(), attempt(new DemoHires(), new JsonObject().put("scale", 2),
        images(filled(80, 80, BLUE), null), "l-2", small));
    assertBadInput(output);
    assertTrue(output.errorMessage().contains("160x160"), output.errorMessage());
    assertTrue(onlyAsset(runAttempt(new DemoHires(), attempt(new DemoHires(), new JsonObject().put("scale", 1.25),
        images(filled(80, 80, BLUE), null), "l-3", small))).getInteger("width") == 100, "within the limits it runs");
    assertEquals(1, small.freeSlots(), "every decode gave its slot back");
  }

  @Test
  void aCancelledAttemptFails() throws Exception {
    JsonObject images = images(subjectOnBackground(48, 40), filled(30, 30, RED));
    for (Executor e : all().toList()) {
      // Cancelled before it starts.
      Attempt before = attempt(e, new JsonObject(), images, "c-" + e.toolAction());
      before.cancel("owner");
      Outcome o = runAttempt(e, before);
      assertFalse(o.success(), e.toolAction());
      assertEquals(ErrorCode.CANCELLED, o.errorCode(), e.toolAction());

      // Cancelled while running: at its first progress report.
      AtomicReference<Attempt> ref = new AtomicReference<>();
      Attempt during = new Attempt(vertx, "d-" + e.toolAction(), 1, e.toolAction(), new JsonObject(), images, assets,
          DECODER, (p, m) -> ref.get().cancel("owner"));
      ref.set(during);
      Outcome d = runAttempt(e, during);
      assertFalse(d.success(), e.toolAction());
      assertEquals(ErrorCode.CANCELLED, d.errorCode(), e.toolAction());
      assertTrue(d.retryable(), e.toolAction());
    }
  }

  // ---- helpers ----

  private Outcome run(Executor e, JsonObject input, JsonObject images) throws Exception {
    return run(e, input, images, "t-1");
  }

  private Outcome run(Executor e, JsonObject input, JsonObject images, String taskId) throws Exception {
    progress.clear();
    return runAttempt(e, attempt(e, input, images, taskId));
  }

  private Attempt attempt(Executor e, JsonObject input, JsonObject images, String taskId) {
    return attempt(e, input, images, taskId, DECODER);
  }

  private Attempt attempt(Executor e, JsonObject input, JsonObject images, String taskId, BoundedImageDecoder decoder) {
    return new Attempt(vertx, taskId, 1, e.toolAction(), input, images, assets, decoder, (p, m) -> progress.add(p));
  }

  /** Runs on an event loop, as the worker does. */
  private static Outcome runAttempt(Executor e, Attempt ex) throws Exception {
    CompletableFuture<Outcome> done = new CompletableFuture<>();
    vertx.runOnContext(v -> e.run(ex).onComplete(ar -> {
      if (ar.succeeded()) done.complete(ar.result());
      else done.completeExceptionally(ar.cause());
    }));
    return done.get(30, SECONDS);
  }

  private JsonObject images(BufferedImage src, BufferedImage ref) throws Exception {
    JsonObject images = new JsonObject().put("source_image", writePng("inputs/src.png", src));
    if (ref != null) images.put("reference_image", writePng("inputs/ref.png", ref));
    return images;
  }

  private String writePng(String key, BufferedImage img) throws Exception {
    Path file = assetDir.resolve(key);
    Files.createDirectories(file.getParent());
    assertTrue(ImageIO.write(img, "png", file.toFile()));
    return key;
  }

  private JsonObject onlyAsset(Outcome o) {
    assertTrue(o.success(), () -> o.toJson().encodePrettily());
    assertEquals(1, o.assets().size());
    JsonObject asset = o.assets().getJsonObject(0);
    assertEquals("output", asset.getString("asset_type"));
    assertEquals("image/png", asset.getString("mime_type"));
    assertProgress();
    return asset;
  }

  private static JsonObject asset(Outcome o, String fileName) {
    return o.assets().stream().map(JsonObject.class::cast).filter(a -> fileName.equals(a.getString("file_name")))
        .findFirst().orElseThrow(() -> new AssertionError("no asset " + fileName + " in " + o.assets().encode()));
  }

  /** The file is where the asset says, with its size and SHA-256. */
  private byte[] checkFile(JsonObject asset) throws Exception {
    Path file = assetDir.resolve(asset.getString("object_key"));
    assertTrue(Files.isRegularFile(file), file.toString());
    byte[] bytes = Files.readAllBytes(file);
    assertEquals(asset.getLong("size_bytes"), (long) bytes.length);
    assertEquals(asset.getString("checksum"), Sha256.hex(bytes));
    return bytes;
  }

  private BufferedImage checkPng(JsonObject asset) throws Exception {
    byte[] bytes = checkFile(asset);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(bytes, 4));
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
    assertNotNull(img);
    assertEquals(asset.getInteger("width"), img.getWidth());
    assertEquals(asset.getInteger("height"), img.getHeight());
    return img;
  }

  private static void assertStandIn(Outcome o, JsonObject asset) {
    JsonObject r = o.result();
    assertEquals(true, r.getBoolean("stand_in"));
    assertEquals("demo", r.getString("provider"));
    assertFalse(r.getString("note", "").isBlank());
    assertEquals(asset.getInteger("width"), r.getInteger("width"));
    assertEquals(asset.getInteger("height"), r.getInteger("height"));
    assertEquals(asset.getString("checksum"), r.getString("checksum"));
  }

  private void assertProgress() {
    assertFalse(progress.isEmpty(), "no progress reported");
    for (int i = 1; i < progress.size(); i++) {
      assertTrue(progress.get(i) >= progress.get(i - 1), "progress went back: " + progress);
    }
    assertEquals(100, progress.get(progress.size() - 1), progress.toString());
  }

  private static void assertBadInput(Outcome o) {
    assertFalse(o.success(), () -> o.toJson().encodePrettily());
    assertFalse(o.retryable(), () -> o.toJson().encodePrettily());
    assertEquals(ErrorCode.BAD_INPUT, o.errorCode(), () -> o.toJson().encodePrettily());
  }

  private static void assertClose(int expected, int actual, int tolerance) {
    assertTrue(distance(expected, actual) <= tolerance,
        String.format("expected ~%08x, got %08x", expected, actual));
  }

  private static double distance(int p, int q) {
    double d = 0;
    for (int s = 0; s <= 16; s += 8) d = Math.max(d, Math.abs(((p >> s) & 0xff) - ((q >> s) & 0xff)));
    return d;
  }

  private static Set<Integer> distinctColours(BufferedImage img) {
    Set<Integer> set = new HashSet<>();
    for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) set.add(img.getRGB(x, y));
    return set;
  }

  private static BufferedImage filled(int w, int h, int argb) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    paint(img, 0, 0, w, h, argb);
    return img;
  }

  private static void paint(BufferedImage img, int x0, int y0, int w, int h, int argb) {
    for (int y = y0; y < y0 + h; y++) for (int x = x0; x < x0 + w; x++) img.setRGB(x, y, argb);
  }

  /** A light grey background with a blue disc in the middle. */
  private static BufferedImage subjectOnBackground(int w, int h) {
    BufferedImage img = filled(w, h, 0xfff0f0f0);
    double r = Math.min(w, h) * 0.3;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        if (Math.hypot(x + 0.5 - w / 2.0, y + 0.5 - h / 2.0) < r) img.setRGB(x, y, BLUE);
      }
    }
    return img;
  }

  /** Many distinct colours: a two-way gradient with a little deterministic noise. */
  private static BufferedImage noisyGradient(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    java.util.Random rnd = new java.util.Random(1);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int r = x * 255 / w, g = y * 255 / h, b = Math.min(255, 128 + rnd.nextInt(40));
        img.setRGB(x, y, r << 16 | g << 8 | b);
      }
    }
    return img;
  }
}
