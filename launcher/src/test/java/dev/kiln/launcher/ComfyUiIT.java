package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.ComfyUi;
import dev.kiln.testing.Eventually;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The comfyui provider against a real ComfyUI (upstream v0.3.64 on the CPU, weightless nodes),
 * through Kiln's HTTP API: outputs made by the workflows, uploads as LoadImage inputs, progress
 * from the websocket, cancel of a running and of a queued prompt, a timeout, ComfyUI's own
 * refusal and runtime error, and ComfyUI killed -9 under a running prompt.
 */
class ComfyUiIT {
  static final String PROVIDER = "comfy-it";
  static final String CONFIGS = "/api/v1/admin/task-configs";
  /** long.json's blurs take about 8 s here; every wait below is well over one run. */
  static final Duration RUN = Duration.ofSeconds(60);
  /** Seeds make each long prompt's graph new to ComfyUI, which would otherwise answer from its cache. */
  static final AtomicInteger SEEDS = new AtomicInteger(1 + (int) (System.nanoTime() % 100_000));

  static ComfyUi comfy;
  static KilnNode kiln;
  static Api api;

  @BeforeAll
  static void start() throws Exception {
    comfy = ComfyUi.startInRange(8190, 8195);
    Path dir = Files.createTempDirectory("comfy-it");
    for (String wf : List.of("generate", "hires", "background-change", "long", "invalid_value", "runtime_error")) {
      try (InputStream in = ComfyUiIT.class.getResourceAsStream("/comfyui/" + wf + ".json")) {
        Files.write(dir.resolve(wf + ".json"), in.readAllBytes());
      }
    }
    JsonObject file = new JsonObject()
        .put("providers", new JsonObject().put(PROVIDER, new JsonObject().put("type", "comfyui").put("url", comfy.url())
            .put("slots", 2).put("timeout_ms", 5_000)))
        .put("actions", new JsonObject()
            .put("image.generate", action("generate.json", new JsonObject().put("width", 512).put("height", 512)))
            .put("image.hires", action("hires.json", new JsonObject().put("scale", 2)))
            .put("image.background-change", action("background-change.json", null))
            .put("image.pattern-extract", action("long.json", new JsonObject().put("seed", 0)))
            .put("image.head-swap", action("invalid_value.json", null))
            .put("image.pose-change", action("runtime_error.json", null)));
    Path providers = dir.resolve("providers.json");
    Files.writeString(providers, file.encodePrettily());
    kiln = KilnNode.start(Map.of("KILN_PROVIDERS", providers.toString(), "KILN_WORKER_SLOTS", "2"));
    api = kiln.api();
    // Retries come soon, so the killed server's task is retried while it restarts.
    Api.Reply q = api.send("PUT", "/api/v1/admin/queues/image",
        new JsonObject().put("retry_delay_base", 500).put("retry_delay_max", 2_000).encode());
    assertEquals(200, q.status(), q.body());
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (kiln != null) kiln.close();
    } finally {
      if (comfy != null) comfy.close();
    }
  }

  private static JsonObject action(String workflow, JsonObject defaults) {
    JsonObject a = new JsonObject().put("provider", PROVIDER).put("workflow", workflow);
    if (defaults != null) a.put("defaults", defaults);
    return a;
  }

  @Test
  void imageGenerateMakesThePngItsWorkflowSaysWithProgressOnTheWay() throws Exception {
    String id = api.submit(new JsonObject().put("tool_action", "image.generate")
        .put("input", new JsonObject().put("prompt", "a kiln").put("width", 96).put("height", 64))).getString("id");
    List<Api.Sse> events = api.events(id, null, RUN);
    JsonObject task = api.task(id);
    assertEquals("completed", task.getString("status"), task.encode());
    assertTrue(events.stream().anyMatch(e -> e.event().equals("progress")), "progress events: " + events);
    JsonObject result = task.getJsonObject("result");
    assertEquals(PROVIDER, result.getString("provider"));
    assertEquals("generate.json", result.getString("workflow"));
    UUID.fromString(result.getString("prompt_id"));
    BufferedImage png = output(id);
    assertEquals(96, png.getWidth());
    assertEquals(64, png.getHeight());
    assertEquals(new Color(0x33, 0x99, 0xff).getRGB(), png.getRGB(10, 10), "EmptyImage's colour 0x3399ff");
    // The workflow's output is the node's image, stored by Kiln: ComfyUI's /history names the same prompt.
    JsonObject history = comfy.get("/history/" + result.getString("prompt_id"));
    assertTrue(history.containsKey(result.getString("prompt_id")), history.encode());
  }

  @Test
  void imageHiresScalesAnUploadedImageByTheTasksScale() throws Exception {
    String source = upload(solid(40, 30, Color.RED));
    String id = api.submit(new JsonObject().put("tool_action", "image.hires")
        .put("input", new JsonObject().put("source_image", source).put("scale", 3))).getString("id");
    JsonObject task = api.awaitEnded(id, RUN);
    assertEquals("completed", task.getString("status"), task.encode());
    BufferedImage png = output(id);
    assertEquals(120, png.getWidth());
    assertEquals(90, png.getHeight());
    assertEquals(Color.RED.getRGB(), png.getRGB(60, 45));
  }

  @Test
  void backgroundChangeBlendsTheTwoUploadsAndAMissingOneIsBadInput() throws Exception {
    String source = upload(solid(50, 40, Color.RED));
    String reference = upload(solid(20, 20, Color.BLUE));
    String id = api.submit(new JsonObject().put("tool_action", "image.background-change")
        .put("input", new JsonObject().put("source_image", source).put("reference_image", reference))).getString("id");
    JsonObject task = api.awaitEnded(id, RUN);
    assertEquals("completed", task.getString("status"), task.encode());
    BufferedImage png = output(id);
    assertEquals(50, png.getWidth(), "the source's size: ImageBlend scales the reference to it");
    assertEquals(40, png.getHeight());
    // Half red, half blue, inverted: about (128, 255, 128).
    Color c = new Color(png.getRGB(25, 20));
    assertTrue(Math.abs(c.getRed() - 128) <= 2 && c.getGreen() == 255 && Math.abs(c.getBlue() - 128) <= 2, "pixel " + c);

    String without = api.submit(new JsonObject().put("tool_action", "image.background-change")
        .put("input", new JsonObject().put("source_image", source))).getString("id");
    JsonObject failed = api.awaitEnded(without, RUN);
    assertEquals("failed", failed.getString("status"));
    assertEquals("bad_input", failed.getString("error_code"));
    assertTrue(failed.getString("error_message").contains("reference_image"), failed.getString("error_message"));
    assertEquals(1, failed.getInteger("attempt"), "not retried");
  }

  @Test
  void aWorkflowComfyUiRefusesFailsWithItsNodesMessageAndIsNotRetried() throws Exception {
    String source = upload(solid(16, 16, Color.GRAY));
    String id = api.submit(new JsonObject().put("tool_action", "image.head-swap")
        .put("input", new JsonObject().put("source_image", source).put("reference_image", source))).getString("id");
    JsonObject task = api.awaitEnded(id, RUN);
    assertEquals("failed", task.getString("status"), task.encode());
    assertEquals("provider_rejected", task.getString("error_code"));
    String message = task.getString("error_message");
    assertTrue(message.contains("node 1 (EmptyImage)") && message.contains("99999"), message);
    assertTrue(message.contains("node 2 (ImageScale)") && message.contains("no-such-method"), message);
    assertEquals(1, task.getInteger("attempt"));
    assertEquals(0, task.getInteger("retry_count"));
  }

  @Test
  void aRuntimeErrorIsRetriedAndEachExecutionKeepsComfyUisTraceback() throws Exception {
    String source = upload(solid(16, 16, Color.GRAY));
    long config = config("runtime error", "image.pose-change", new JsonObject().put("source_image", source), 1, null);
    String id = run(config);
    JsonObject task = api.awaitEnded(id, RUN);
    assertEquals("failed", task.getString("status"), task.encode());
    assertEquals("executor_error", task.getString("error_code"));
    assertEquals(2, task.getInteger("attempt"), "retryable: retried once (max_retries 1)");
    JsonArray runs = api.get(CONFIGS + "/" + config + "/executions").json().getJsonArray("items");
    assertEquals(2, runs.size());
    for (Object o : runs) {
      JsonObject run = (JsonObject) o;
      assertEquals("executor_error", run.getString("error_code"));
      assertTrue(run.getString("error_message").contains("node 3 (SaveImage)")
          && run.getString("error_message").contains("outside the output folder"), run.getString("error_message"));
      String tb = run.getString("error_traceback");
      assertNotNull(tb);
      assertTrue(tb.contains("File \"") && tb.contains("folder_paths.py"), tb);
    }
  }

  @Test
  void cancelOfARunningPromptInterruptsItOnComfyUi() throws Exception {
    String id = longTask();
    String prompt = awaitRunningOnComfy(id);
    long t0 = System.nanoTime();
    Api.Reply r = api.post("/api/v1/tasks/" + id + "/cancel", "");
    assertEquals(200, r.status(), r.body());
    // ComfyUI checks for an interrupt between nodes (about a second each here), so the proof is
    // its history: interrupted, not run to success.
    assertInterrupted(prompt);
    long stoppedMs = (System.nanoTime() - t0) / 1_000_000;
    assertEquals("cancelled", api.task(id).getString("status"));
    System.out.printf("comfyui: a running prompt stopped %d ms after its cancel%n", stoppedMs);
  }

  @Test
  void cancelOfAQueuedPromptTakesItOutOfTheQueueAndTheRunningOneCompletes() throws Exception {
    String first = longTask();
    String second = longTask();
    // One runs, the other waits in ComfyUI's queue (it runs one prompt at a time).
    Eventually.await("one running, one queued on ComfyUI", RUN, () -> {
      JsonObject q = comfy.get("/queue");
      return q.getJsonArray("queue_running").size() == 1 && q.getJsonArray("queue_pending").size() == 1 ? q : null;
    });
    String queued = Eventually.await("the queued task", RUN, () -> {
      // progress 2 is "queued on"; 5 and more, started
      int a = api.task(first).getInteger("progress");
      int b = api.task(second).getInteger("progress");
      return a >= 5 && b < 5 ? second : b >= 5 && a < 5 ? first : null;
    });
    String running = queued.equals(first) ? second : first;
    JsonObject before = comfy.get("/queue");
    String runningPrompt = before.getJsonArray("queue_running").getJsonArray(0).getString(1);
    String queuedPrompt = before.getJsonArray("queue_pending").getJsonArray(0).getString(1);
    assertEquals(200, api.post("/api/v1/tasks/" + queued + "/cancel", "").status());
    Eventually.await("the queued prompt gone from ComfyUI's queue", Duration.ofSeconds(5), () -> {
      JsonObject q = comfy.get("/queue");
      return q.getJsonArray("queue_pending").isEmpty() && q.getJsonArray("queue_running").size() == 1
          && q.getJsonArray("queue_running").getJsonArray(0).getString(1).equals(runningPrompt);
    });
    JsonObject done = api.awaitEnded(running, RUN);
    assertEquals("completed", done.getString("status"), "the other task ran to its end: " + done.encode());
    assertEquals(runningPrompt, done.getJsonObject("result").getString("prompt_id"));
    assertEquals(768, output(running).getWidth());
    assertEquals("cancelled", api.task(queued).getString("status"));
    assertTrue(comfy.get("/history/" + queuedPrompt).isEmpty(), "the queued prompt never ran");
    assertTrue(comfy.queuedOrRunning().isEmpty(), "nothing left on ComfyUI");
  }

  @Test
  void anAttemptPastItsTimeoutIsInterruptedOnComfyUi() throws Exception {
    String source = upload(solid(16, 16, Color.GRAY));
    long config = config("too slow", "image.pattern-extract",
        new JsonObject().put("source_image", source).put("seed", SEEDS.incrementAndGet()), 0, 2);
    String id = run(config);
    String prompt = awaitRunningOnComfy(id);
    JsonObject task = api.awaitEnded(id, RUN);
    assertEquals("timeout", task.getString("status"), task.encode());
    assertInterrupted(prompt);
  }

  @Test
  void comfyUiKilledUnderARunningPromptFailsTheAttemptRetryablyAndTheTaskCompletesOnceItIsBack() throws Exception {
    String source = upload(solid(16, 16, Color.GRAY));
    long config = config("killed", "image.pattern-extract",
        new JsonObject().put("source_image", source).put("seed", SEEDS.incrementAndGet()), 60, null);
    // 60 retries: each attempt while the server restarts (about 10 s) fails at once, 0.25-2 s apart.
    String id = run(config);
    awaitRunningOnComfy(id);
    comfy.kill9();
    Eventually.await("the first attempt failed", RUN, () -> api.task(id).getInteger("attempt") >= 2
        || "retrying".equals(api.task(id).getString("status")));
    comfy.restart();
    JsonObject task = api.awaitEnded(id, Duration.ofSeconds(120));
    assertEquals("completed", task.getString("status"), task.encode());
    JsonArray runs = api.get(CONFIGS + "/" + config + "/executions?limit=100").json().getJsonArray("items");
    JsonObject firstRun = runs.getJsonObject(runs.size() - 1);
    assertEquals(1, firstRun.getInteger("attempt"));
    assertEquals("provider_unavailable", firstRun.getString("error_code"), firstRun.encode());
    assertTrue(firstRun.getString("error_message").contains(PROVIDER), firstRun.getString("error_message"));
    // Attempts while it was down found no server: retryable too, and named as such.
    for (int i = 1; i < runs.size(); i++) {
      assertEquals("provider_unavailable", runs.getJsonObject(i).getString("error_code"), runs.getJsonObject(i).encode());
    }
    System.out.printf("comfyui: killed under a prompt; the task completed on attempt %d, after the restart%n", task.getInteger("attempt"));
  }

  // --- helpers

  /** A long.json prompt (about 8 s) with a seed of its own. */
  private static String longTask() throws Exception {
    String source = upload(solid(16, 16, Color.GRAY));
    return api.submit(new JsonObject().put("tool_action", "image.pattern-extract")
        .put("input", new JsonObject().put("source_image", source).put("seed", SEEDS.incrementAndGet()))).getString("id");
  }

  /** Waits until the task's prompt runs on ComfyUI (progress 5: execution_start); returns its prompt id. */
  private static String awaitRunningOnComfy(String taskId) throws Exception {
    Eventually.await("task " + taskId + " started on ComfyUI", RUN, () -> api.task(taskId).getInteger("progress") >= 5);
    JsonArray running = comfy.get("/queue").getJsonArray("queue_running");
    assertEquals(1, running.size(), running.encode());
    return running.getJsonArray(0).getString(1);
  }

  /** Waits for the prompt's end on ComfyUI, and asserts it was interrupted, not run to its end. */
  private static void assertInterrupted(String prompt) throws Exception {
    JsonObject status = Eventually.await("prompt " + prompt + " ended on ComfyUI", RUN,
        () -> comfy.get("/history/" + prompt).getJsonObject(prompt)).getJsonObject("status");
    assertTrue(status.encode().contains("execution_interrupted") && !status.encode().contains("execution_success"), status.encode());
  }

  private static long config(String name, String action, JsonObject parameters, int maxRetries, Integer timeoutSeconds) throws Exception {
    JsonObject body = new JsonObject().put("name", name + " " + UUID.randomUUID()).put("task_type", action)
        .put("scheduler_type", "MANUAL").put("parameters", parameters).put("max_retries", maxRetries);
    if (timeoutSeconds != null) body.put("timeout_seconds", timeoutSeconds);
    Api.Reply r = api.post(CONFIGS, body.encode());
    assertEquals(201, r.status(), r.body());
    return r.json().getLong("id");
  }

  private static String run(long config) throws Exception {
    Api.Reply r = api.post(CONFIGS + "/" + config + "/run", "");
    assertEquals(202, r.status(), r.body());
    return r.json().getString("id");
  }

  private static String upload(byte[] png) throws Exception {
    Api.Reply r = api.post("/api/v1/files", "image/png", png);
    assertEquals(201, r.status(), r.body());
    return r.json().getString("id");
  }

  private static byte[] solid(int w, int h, Color c) throws Exception {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, c.getRGB());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  /** The task's one output image, downloaded through the API. */
  private static BufferedImage output(String taskId) throws Exception {
    JsonArray items = api.get("/api/v1/tasks/" + taskId + "/assets").json().getJsonArray("items");
    List<JsonObject> outputs = items.stream().map(o -> (JsonObject) o).filter(a -> "output".equals(a.getString("asset_type"))).toList();
    assertEquals(1, outputs.size(), items.encode());
    assertEquals("image/png", outputs.get(0).getString("mime_type"));
    byte[] bytes = api.bytes("/api/v1/tasks/" + taskId + "/assets/" + outputs.get(0).getValue("id") + "/content");
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
    assertFalse(img == null, "a PNG");
    assertEquals(outputs.get(0).getInteger("width"), img.getWidth());
    return img;
  }
}
