package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.CogServer;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Meshes;
import dev.kiln.testing.Pngs;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A node whose {@code KILN_PROVIDERS} names a Cog-style server (type {@code http}) for
 * model3d.generate: a task submitted over HTTP runs there, and its model and preview come back as
 * the task's assets, served by signed URL, as the gallery reads them.
 */
class CogProviderTest {
  private static Vertx vertx;
  private static CogServer cog;
  private static KilnNode kiln;
  private static Api api;
  private static final byte[] GLB = Meshes.glb();
  private static final byte[] PREVIEW = Pngs.blank(40, 30);

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    cog = CogServer.start(vertx);
    Path dir = Files.createTempDirectory("kiln-cog");
    Path providers = dir.resolve("providers.json");
    Files.writeString(providers, new JsonObject()
        .put("providers", new JsonObject().put("cog-a", new JsonObject().put("type", "http").put("url", cog.url()).put("slots", 1)))
        .put("actions", new JsonObject().put("model3d.generate", new JsonObject().put("provider", "cog-a"))).encode());
    kiln = KilnNode.start(Map.of("KILN_PROVIDERS", providers.toString()));
    api = kiln.api().forUser("artist");
  }

  @AfterAll
  static void stop() throws Exception {
    if (kiln != null) kiln.close();
    if (cog != null) cog.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void behaviour() {
    cog.requires().file("mesh.glb", "model/gltf-binary", GLB).file("preview.png", "image/png", PREVIEW)
        .output(new JsonObject().put("mesh", "{{url:mesh.glb}}").put("preview", "{{data:preview.png}}"));
  }

  @Test
  void aModelMadeByTheServerIsTheTasksModelAndPreview() throws Exception {
    byte[] source = Pngs.blank(64, 48);
    String fileId = upload(source);
    String id = api.submit(new JsonObject().put("tool_action", "model3d.generate").put("input", new JsonObject().put("source_image", fileId)))
        .getString("id");
    JsonObject done = api.awaitEnded(id, Duration.ofSeconds(30));
    assertEquals("completed", done.getString("status"), done.encodePrettily());
    assertEquals("cog-a", done.getJsonObject("result").getString("provider"));
    assertEquals(id + "-1", done.getJsonObject("result").getString("prediction_id"));

    // The model got the uploaded image's bytes, inline.
    String sent = cog.lastInput().getString("source_image");
    assertArrayEquals(source, Base64.getDecoder().decode(sent.substring(sent.indexOf(',') + 1)));

    JsonObject model = null, preview = null;
    for (Object o : api.get("/api/v1/tasks/" + id + "/assets").json().getJsonArray("items")) {
      JsonObject a = (JsonObject) o;
      if ("output".equals(a.getString("asset_type"))) model = a;
      if ("preview".equals(a.getString("asset_type"))) preview = a;
    }
    assertTrue(model != null && preview != null, "an output and a preview");
    assertEquals("model/gltf-binary", model.getString("mime_type"));
    assertEquals("model.glb", model.getString("file_name"));
    assertArrayEquals(GLB, api.anonymous().bytes(model.getString("url")));
    assertArrayEquals(PREVIEW, api.anonymous().bytes(preview.getString("url")));
  }

  @Test
  void anInputTheServerRefusesFailsTheTaskAtOnce() throws Exception {
    cog.requires("prompt");
    String id = api.submit(new JsonObject().put("tool_action", "model3d.generate")
        .put("input", new JsonObject().put("source_image", upload(Pngs.blank(16, 16))))).getString("id");
    JsonObject done = api.awaitEnded(id, Duration.ofSeconds(30));
    assertEquals("failed", done.getString("status"), done.encodePrettily());
    assertEquals("provider_rejected", done.getString("error_code"));
    assertEquals(0, done.getInteger("retry_count"), "a refused input is not retried");
    assertTrue(done.getString("error_message").contains("input.prompt: field required"), done.getString("error_message"));
  }

  private static String upload(byte[] png) throws Exception {
    Api.Reply r = api.post("/api/v1/files", "image/png", png);
    assertEquals(201, r.status(), r.body());
    return r.json().getString("id");
  }

  /**
   * A server that fails its health check has its slots out of the worker's heartbeat: a task
   * waits, unplaced, through several checks (not sent to a server that cannot take it), and runs
   * once the server answers READY again.
   */
  @Test
  void aServerThatFailsItsHealthCheckGetsNoWorkUntilItAnswersAgain() throws Exception {
    String up = "kiln_provider_up{provider=\"cog-a\"";
    try {
      cog.health("SETUP_FAILED");
      Eventually.await("the worker counts cog-a down", Duration.ofSeconds(15), () -> metric(up) == 0.0);
      int started = cog.predictionsStarted();
      String id = api.submit(new JsonObject().put("tool_action", "model3d.generate")
          .put("input", new JsonObject().put("source_image", upload(Pngs.blank(16, 16))))).getString("id");
      int checks = cog.healthChecks();
      // Three more checks (2 s apart) while it waits: the heartbeats between them said no slots.
      Eventually.await("three more health checks", Duration.ofSeconds(20), () -> cog.healthChecks() >= checks + 3);
      assertEquals("pending", api.get("/api/v1/tasks/" + id).json().getString("status"));
      assertEquals(started, cog.predictionsStarted(), "nothing was sent to the server while it was down");
      cog.health(null);
      JsonObject done = api.awaitEnded(id, Duration.ofSeconds(30));
      assertEquals("completed", done.getString("status"), done.encodePrettily());
      assertEquals(1.0, metric(up));
    } finally {
      cog.health(null);
    }
  }

  /** A gauge's value on the node's /metrics, by the start of its line; NaN when absent. */
  private static double metric(String prefix) throws Exception {
    for (String line : kiln.api().anonymous().get("/metrics").body().split("\n")) {
      if (line.startsWith(prefix)) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
    return Double.NaN;
  }
}
