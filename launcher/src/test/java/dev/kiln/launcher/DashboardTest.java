package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.task.ToolAction;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dashboard at / (the kiln-dashboard jar's files, served by the HTTP role), driven in headless
 * Chromium by tools/e2e/dashboard.mjs: sign in, a queue, a task submitted from the page and seen to
 * complete live, its output image, the live list, a queue paused, a worker drained, an end user
 * signed in by e-mailed code and shown no admin page, a prompt made into images, one picked and its
 * model drawn by the three.js viewer, then published and liked in the gallery, a PNG uploaded and
 * upscaled, a generic batch made from its form, an API client created, its key used and revoked. What the page
 * did is then checked through the API. Screenshots: launcher/target/dashboard/.
 */
class DashboardTest {
  static final String WORKER = "dashboard-test-worker";

  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_WORKER_ID", WORKER));

  private static String printed(String output, String label) {
    Matcher m = Pattern.compile("^" + label + " (\\S+)$", Pattern.MULTILINE).matcher(output);
    assertTrue(m.find(), "the script did not print " + label + ":\n" + output);
    return m.group(1);
  }

  @Test
  void theIndexIsServedWithoutAKeyRevalidatedAndUnframedItsHashedAssetsCachedForAYear() throws Exception {
    Api anonymous = new Api(kiln.port(), null);
    Api.Reply index = anonymous.get("/");
    assertEquals(200, index.status());
    assertTrue(index.contentType().startsWith("text/html"), index.contentType());
    assertEquals("no-cache", index.header("Cache-Control"));
    // Its own files only (the browser scenario fails on any violation the page logs), never framed.
    assertTrue(index.header("Content-Security-Policy").contains("script-src 'self';"), index.header("Content-Security-Policy"));
    assertTrue(index.header("Content-Security-Policy").contains("frame-ancestors 'none'"), index.header("Content-Security-Policy"));
    // No KILN_PUBLIC_URL: signed URLs are relative, so images come from this origin only.
    assertTrue(index.header("Content-Security-Policy").contains("img-src 'self' blob: data:;"), index.header("Content-Security-Policy"));
    Matcher script = Pattern.compile("src=\"(/assets/[^\"]+\\.js)\"").matcher(index.body());
    assertTrue(script.find(), "index.html names its script: " + index.body());
    Api.Reply js = anonymous.get(script.group(1));
    assertEquals(200, js.status());
    assertTrue(js.contentType().contains("javascript"), js.contentType());
    assertEquals("public, max-age=31536000, immutable", js.header("Cache-Control"));
    // Not a catch-all: what the dashboard does not hold is the API's 404, never cached as a dashboard file.
    for (String path : new String[] {"/nope", "/assets/nope.js", "/api/v1/nope"}) {
      Api.Reply missing = (path.startsWith("/api/") ? kiln.api() : anonymous).get(path);
      assertEquals(404, missing.status(), path);
      assertTrue(missing.contentType().startsWith("application/problem+json"), path);
      assertEquals("no-store", missing.header("Cache-Control"), path);
    }
  }

  @Test
  void theFormsAreBuiltFromTheToolActionsAndTheSchemasPostTasksChecks() throws Exception {
    JsonObject hires = null;
    List<String> names = new ArrayList<>();
    for (Object o : kiln.api().get("/api/v1/tool-actions").json().getJsonArray("items")) {
      JsonObject a = (JsonObject) o;
      names.add(a.getString("tool_action"));
      if (a.getString("tool_action").equals("image.hires")) hires = a;
    }
    assertEquals(List.of("debug.noop", "debug.sleep", "image.generate", "image.hires", "image.pattern-extract", "image.head-swap",
        "image.background-change", "image.pose-change", "model3d.generate"), names, "the node runs with KILN_DEBUG_EXECUTORS on");
    assertTrue(hires != null);
    assertEquals("image", hires.getString("queue"));
    assertEquals(List.of("source_image"), hires.getJsonArray("image_fields").getList());
    try (var in = ToolAction.class.getClassLoader().getResourceAsStream("schemas/image.hires.json")) {
      assertEquals(new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)), hires.getJsonObject("input_schema"),
          "the schema POST /tasks checks, as it is");
    }
    assertEquals(List.of("source_image", "reference_image"), kiln.api().get("/api/v1/tool-actions").json().getJsonArray("items")
        .stream().map(JsonObject.class::cast).filter(a -> a.getString("tool_action").equals("image.head-swap")).findFirst()
        .orElseThrow().getJsonArray("image_fields").getList());
    assertEquals(401, new Api(kiln.port(), null).get("/api/v1/tool-actions").status(), "an API call like any other");
  }

  @Test
  void aPersonSignsInSubmitsWatchesItLiveOpensTheOutputPausesAQueueAndDrainsAWorker() throws Exception {
    Path shots = Path.of("target", "dashboard").toAbsolutePath();
    NodeTools.Result run = NodeTools.node(Map.of(), Duration.ofMinutes(3), "e2e/dashboard.mjs",
        "http://127.0.0.1:" + kiln.port(), KilnNode.ADMIN_KEY, shots.toString(),
        kiln.dataDir().resolve("mail").resolve("outbox.txt").toString());
    System.out.println(run.output());
    assertTrue(run.ok(), "the dashboard scenario failed (screenshots in " + shots + "):\n" + run.output());

    JsonObject task = kiln.api().task(printed(run.output(), "TASK"));
    assertEquals("completed", task.getString("status"));
    assertEquals("image.generate", task.getString("tool_action"));
    assertEquals("web-ui", task.getString("channel"), "submitted by the page");
    assertEquals(320, task.getJsonObject("input").getInteger("width"));

    // The PNG the page uploaded (POST /files) is the upscale's source, and its one input asset.
    JsonObject upscale = kiln.api().task(printed(run.output(), "UPSCALED"));
    assertEquals("completed", upscale.getString("status"));
    assertEquals("image.hires", upscale.getString("tool_action"));
    assertEquals("web-ui", upscale.getString("channel"));
    JsonObject upload = kiln.api().get("/api/v1/files/" + upscale.getJsonObject("input").getString("source_image")).json();
    assertEquals(320, upload.getInteger("width"), "the file picked on the page: " + upload);
    JsonObject upscaled = upscale.getJsonObject("result").getJsonArray("outputs").getJsonObject(0);
    assertEquals(640, upscaled.getInteger("width"));
    assertEquals(384, upscaled.getInteger("height"));

    JsonObject batch = kiln.api().get("/api/v1/batches/" + printed(run.output(), "BATCH")).json();
    assertEquals("upscales from the form", batch.getString("title"));
    assertEquals(2, batch.getInteger("total_count"), "one task per line of the form: " + batch);
    assertEquals(2, batch.getInteger("completed_count"));

    // The client made on the page, its key used there and then revoked: refused here too.
    String client = printed(run.output(), "CLIENT");
    Api.Reply revoked = new Api(kiln.port(), printed(run.output(), "CLIENT_KEY")).get("/api/v1/me");
    assertEquals(401, revoked.status(), "the revoked key: " + revoked.body());
    JsonObject listed = kiln.api().get("/api/v1/admin/clients").json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).filter(c -> c.getString("id").equals(client)).findFirst().orElseThrow();
    assertEquals("partner app", listed.getString("display_name"));
    assertEquals("third_party", listed.getString("role"));
    assertFalse(listed.getBoolean("is_active"), "revoked on the page");

    JsonObject model = kiln.api().get("/api/v1/models/" + printed(run.output(), "PUBLISHED")).json();
    assertEquals("PUBLIC", model.getString("visibility"), "published from the page");
    assertEquals("kiln teapot", model.getString("name"));
    assertEquals(1, model.getInteger("like_count"));

    assertEquals("debug", printed(run.output(), "LIMITED"));
    assertEquals(12, kiln.api().get("/api/v1/admin/queues/debug").json().getInteger("max_concurrency"), "the limit set on the page");

    String queue = printed(run.output(), "PAUSED");
    assertFalse(kiln.api().get("/api/v1/admin/queues/" + queue).json().getBoolean("is_active"), queue + " paused");

    assertEquals(WORKER, printed(run.output(), "DRAINED"));
    JsonObject worker = kiln.api().get("/api/v1/admin/workers").json().getJsonArray("items").getJsonObject(0);
    assertEquals("draining", worker.getString("status"));
  }
}
