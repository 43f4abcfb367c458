package dev.kiln.worker.cog;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.asset.AssetStore;
import dev.kiln.common.asset.DirectoryAssetStore;
import dev.kiln.common.config.ImageLimits;
import dev.kiln.common.hash.Sha256;
import dev.kiln.common.image.BoundedImageDecoder;
import dev.kiln.task.ErrorCode;
import dev.kiln.testing.CogServer;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Meshes;
import dev.kiln.testing.Pngs;
import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Outcome;
import dev.kiln.worker.executor.Provider;
import dev.kiln.worker.providers.ProviderTypes;
import dev.kiln.worker.providers.ProvidersFile;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code http} provider as the worker makes it (a providers file read and checked, then
 * {@link ProviderTypes}) driving a Cog-style server over real HTTP, with each attempt's files in
 * a directory asset store, run on an event loop as the worker runs it.
 */
class CogProviderTest {
  private static final BoundedImageDecoder DECODER = new BoundedImageDecoder(ImageLimits.DEFAULT);
  private static Vertx vertx;

  @TempDir Path dir;
  private AssetStore assets;
  private CogServer cog;
  private byte[] source;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, SECONDS);
  }

  @BeforeEach
  void setUp() throws Exception {
    assets = new DirectoryAssetStore(dir.resolve("assets"));
    source = Pngs.blank(24, 16);
    assets.write("inputs/src.png", source);
    cog = CogServer.start(vertx);
  }

  @AfterEach
  void tearDown() throws Exception {
    cog.close();
  }

  @Test
  void urlAndDataOutputsAreStoredWithTheInputImageSentAsADataUri() throws Exception {
    byte[] big = Pngs.blank(48, 32);
    byte[] mask = Pngs.blank(8, 8);
    cog.file("big.png", "image/png", big).file("mask.png", "image/png", mask)
        .output(new JsonObject().put("image", "{{url:big.png}}").put("masks", new JsonArray().add("{{data:mask.png}}")).put("score", 0.5));
    Attempt ex = attempt("image.hires", "t-1", new JsonObject().put("scale", 2));
    Outcome o = run(provider(cog.url(), "image.hires"), ex);

    assertTrue(o.success(), () -> o.toJson().encodePrettily());
    assertEquals(2, o.assets().size());
    JsonObject first = o.assets().getJsonObject(0);
    assertEquals("output-0.png", first.getString("file_name"));
    assertEquals("image/png", first.getString("mime_type"));
    assertEquals(48, first.getInteger("width"));
    assertEquals(Sha256.hex(big), first.getString("checksum"));
    assertArrayEquals(big, assets.read(first.getString("object_key")));
    JsonObject second = o.assets().getJsonObject(1);
    assertEquals("output-1.png", second.getString("file_name"));
    assertArrayEquals(mask, assets.read(second.getString("object_key")));
    // The result keeps the model's answer with each file named as stored.
    assertEquals(new JsonObject().put("image", "output-0.png").put("masks", new JsonArray().add("output-1.png")).put("score", 0.5),
        o.result().getJsonObject("output"));
    assertEquals("t-1-1", o.result().getString("prediction_id"));
    assertNotNull(o.result().getDouble("predict_time_seconds"));
    // What the model got: the task's input as it is, the image as a data: URI of the stored bytes.
    JsonObject sent = cog.lastInput();
    assertEquals(2, sent.getInteger("scale"));
    String uri = sent.getString("source_image");
    assertTrue(uri.startsWith("data:image/png;base64,"), uri);
    assertArrayEquals(source, Base64.getDecoder().decode(uri.substring(uri.indexOf(',') + 1)));
    assertEquals("t-1-1", ex.providerJobId());
    assertTrue(ex.logs().contains("step " + CogServer.STEPS + "/" + CogServer.STEPS), ex.logs());
  }

  @Test
  void aModelIsStoredAsTheDemoStoresItSoTheGalleryFindsIt() throws Exception {
    byte[] glb = Meshes.glb();
    byte[] preview = Pngs.blank(32, 32);
    // A server that calls the mesh an octet stream: its name says what it is.
    cog.file("mesh.glb", "application/octet-stream", glb).file("preview.png", "image/png", preview)
        .output(new JsonObject().put("mesh", "{{url:mesh.glb}}").put("preview", "{{data:preview.png}}"));
    Outcome o = run(provider(cog.url(), "model3d.generate"), attempt("model3d.generate", "t-3d", new JsonObject()));

    assertTrue(o.success(), () -> o.toJson().encodePrettily());
    JsonObject model = o.assets().getJsonObject(0);
    assertEquals("model.glb", model.getString("file_name"));
    assertEquals("model/gltf-binary", model.getString("mime_type"));
    assertEquals("output", model.getString("asset_type"));
    assertArrayEquals(glb, assets.read(model.getString("object_key")));
    JsonObject pre = o.assets().getJsonObject(1);
    assertEquals("preview.png", pre.getString("file_name"));
    assertEquals("preview", pre.getString("asset_type"));
    assertEquals(Sha256.hex(glb), o.result().getJsonObject("checksums").getString("model.glb"));
  }

  @Test
  void aFailedPredictionIsRetryableWithCogsErrorAndKeepsItsLogs() throws Exception {
    cog.ending(CogServer.Ending.FAIL);
    Attempt ex = attempt("image.hires", "t-fail", new JsonObject());
    Outcome o = run(provider(cog.url(), "image.hires"), ex);
    assertFalse(o.success());
    assertTrue(o.retryable());
    assertEquals(ErrorCode.EXECUTOR_ERROR, o.errorCode());
    assertEquals("RuntimeError: CUDA out of memory", o.errorMessage());
    assertTrue(ex.logs().contains("Traceback"), ex.logs());
  }

  @Test
  void anInputTheServerRefusesIsPermanentlyRejected() throws Exception {
    cog.requires("prompt");
    Outcome o = run(provider(cog.url(), "image.hires"), attempt("image.hires", "t-422", new JsonObject()));
    assertFalse(o.success());
    assertFalse(o.retryable());
    assertEquals(ErrorCode.PROVIDER_REJECTED, o.errorCode());
    assertTrue(o.errorMessage().contains("input.prompt: field required"), o.errorMessage());
    assertEquals(0, cog.predictionsStarted());
  }

  @Test
  void aCancelReachesTheServerAndStopsThePrediction() throws Exception {
    cog.ending(CogServer.Ending.HANG);
    Attempt ex = attempt("image.hires", "t-cancel", new JsonObject());
    CompletableFuture<Outcome> outcome = start(provider(cog.url(), "image.hires"), ex);
    Eventually.await("the prediction running", Duration.ofSeconds(10), () -> "processing".equals(cog.status("t-cancel-1")));
    ex.cancel("timeout");
    Outcome o = outcome.get(15, SECONDS);
    assertEquals(ErrorCode.CANCELLED, o.errorCode());
    assertEquals("timeout", o.errorMessage());
    assertEquals(java.util.List.of("t-cancel-1"), cog.cancels());
    assertEquals("canceled", cog.status("t-cancel-1"));
  }

  @Test
  void aDroppedConnectionIsResentAndJoinsTheSamePrediction() throws Exception {
    cog.runFor(Duration.ofMillis(1500)).dropFirstConnectionAfter(Duration.ofMillis(200));
    Outcome o = run(provider(cog.url(), "image.hires"), attempt("image.hires", "t-drop", new JsonObject()));
    assertTrue(o.success(), () -> o.toJson().encodePrettily());
    assertEquals(1, cog.predictionsStarted(), "the resend started no second prediction");
    assertTrue(cog.puts("t-drop-1") >= 2, "puts: " + cog.puts("t-drop-1"));
  }

  @Test
  void aServerThatIsDownIsUnavailable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Provider p = provider("http://127.0.0.1:" + port, "image.hires");
    Outcome o = run(p, attempt("image.hires", "t-down", new JsonObject()));
    assertTrue(o.retryable());
    assertEquals(ErrorCode.PROVIDER_UNAVAILABLE, o.errorCode());
    // At once: nothing was sent, so there is no prediction to re-send to.
    assertTrue(o.errorMessage().startsWith("unreachable"), o.errorMessage());
    assertTrue(p.health().toCompletionStage().toCompletableFuture().handle((v, e) -> e != null).get(10, SECONDS), "health fails");
  }

  @Test
  void aServerErrorIsUnavailable() throws Exception {
    cog.answerPutsWith(503);
    Outcome o = run(provider(cog.url(), "image.hires"), attempt("image.hires", "t-503", new JsonObject()));
    assertTrue(o.retryable());
    assertEquals(ErrorCode.PROVIDER_UNAVAILABLE, o.errorCode());
    assertTrue(o.errorMessage().contains("503"), o.errorMessage());
  }

  @Test
  void healthIsReadyOrBusyAndNothingElse() throws Exception {
    Provider p = provider(cog.url(), "image.hires");
    assertEquals(1, p.slots());
    assertTrue(healthy(p));
    cog.health("BUSY");
    assertTrue(healthy(p));
    cog.health("STARTING");
    assertFalse(healthy(p));
    cog.health("SETUP_FAILED");
    assertFalse(healthy(p));
  }

  // ---- helpers ----

  private Provider provider(String url, String action) throws Exception {
    Path file = dir.resolve("providers.json");
    Files.writeString(file, new JsonObject()
        .put("providers", new JsonObject().put("cog-a", new JsonObject().put("type", "http").put("url", url).put("timeout_ms", 2000)))
        .put("actions", new JsonObject().put(action, new JsonObject().put("provider", "cog-a"))).encode());
    ProvidersFile pf = ProvidersFile.load(file);
    return ProviderTypes.create(pf.providers().get("cog-a"), pf.actionsOf("cog-a"), vertx);
  }

  private Attempt attempt(String action, String taskId, JsonObject input) {
    return new Attempt(vertx, taskId, 1, action, input.put("source_image", "00000000-0000-0000-0000-000000000001"),
        new JsonObject().put("source_image", "inputs/src.png"), assets, DECODER, (p, m) -> {});
  }

  private static Outcome run(Provider p, Attempt ex) throws Exception {
    return start(p, ex).get(30, SECONDS);
  }

  /** On an event loop, as the worker runs it. */
  private static CompletableFuture<Outcome> start(Provider p, Attempt ex) {
    Executor e = p.executors().stream().filter(x -> x.toolAction().equals(ex.toolAction())).findFirst().orElseThrow();
    CompletableFuture<Outcome> done = new CompletableFuture<>();
    vertx.runOnContext(v -> e.run(ex).onComplete(ar -> {
      if (ar.succeeded()) done.complete(ar.result());
      else done.completeExceptionally(ar.cause());
    }));
    return done;
  }

  private static boolean healthy(Provider p) throws Exception {
    return p.health().toCompletionStage().toCompletableFuture().handle((v, e) -> e == null).get(10, SECONDS);
  }
}
