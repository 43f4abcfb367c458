package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.ComfyUi;
import dev.kiln.worker.providers.ProvidersFile;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The workflow templates README tells a GPU host to adapt (providers/), filled as the worker fills
 * them and sent to a real ComfyUI: it has no model weights, so each must be refused for the
 * missing model files alone, never for its shape (an unknown node, a missing or mistyped input,
 * a broken link), which is what a user would otherwise find out on their GPU host.
 */
class ShippedWorkflowsIT {
  private static ComfyUi comfy;

  @BeforeAll
  static void start() throws Exception {
    comfy = ComfyUi.startInRange(8196, 8199);
  }

  @AfterAll
  static void stop() throws Exception {
    if (comfy != null) comfy.close();
  }

  private static final JsonObject INPUT = new JsonObject().put("prompt", "a kiln at dusk").put("seed", 7L);

  @Test
  void sdxlIsRefusedOnlyForItsCheckpoint() throws Exception {
    assertOnlyMissing(template("example.json", "image.generate"),
        List.of("4.ckpt_name: 'sd_xl_base_1.0.safetensors'"));
  }

  @Test
  void fluxIsRefusedOnlyForItsFourModelFiles() throws Exception {
    assertOnlyMissing(template("example-flux.json", "image.generate"),
        List.of("10.unet_name: 'flux1-dev.safetensors'", "11.clip_name1: 'clip_l.safetensors'",
            "11.clip_name2: 't5xxl_fp16.safetensors'", "12.vae_name: 'ae.safetensors'"));
  }

  /**
   * The upscaler's model nodes come from ComfyUI's {@code spandrel} package, which this CPU test
   * build does not install: ComfyUI names the first node it lacks, so the check here is that it
   * is that node and no other problem comes first.
   */
  @Test
  void theUpscalerNeedsOnlyItsUpscaleModelNodes() throws Exception {
    HttpResponse<String> r = post(template("example.json", "image.hires"));
    assertEquals(400, r.statusCode(), r.body());
    JsonObject error = new JsonObject(r.body()).getJsonObject("error");
    assertEquals("invalid_prompt", error.getString("type"), r.body());
    assertTrue(error.getString("message").contains("UpscaleModelLoader"), r.body());
  }

  /** The action's workflow of a shipped providers file, filled as the worker fills it. */
  private static JsonObject template(String file, String action) {
    ProvidersFile.ActionSpec spec = ProvidersFile.load(Path.of("..", "providers", file).toAbsolutePath().normalize()).actions().get(action);
    return spec.workflow().fill(INPUT, spec.defaults(), Map.of("source_image", "example.png"));
  }

  private static HttpResponse<String> post(JsonObject graph) throws Exception {
    JsonObject body = new JsonObject().put("prompt", graph).put("client_id", "kiln-test").put("prompt_id", UUID.randomUUID().toString());
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(comfy.url() + "/prompt"))
            .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** ComfyUI refuses the graph, and every node error is a model file it does not have, these exactly. */
  private static void assertOnlyMissing(JsonObject graph, List<String> files) throws Exception {
    HttpResponse<String> r = post(graph);
    assertEquals(400, r.statusCode(), r.body());
    JsonObject answer = new JsonObject(r.body());
    assertEquals("prompt_outputs_failed_validation", answer.getJsonObject("error").getString("type"), r.body());
    List<String> missing = new ArrayList<>();
    JsonObject nodes = answer.getJsonObject("node_errors");
    for (String node : nodes.fieldNames()) {
      for (Object o : nodes.getJsonObject(node).getJsonArray("errors")) {
        JsonObject e = (JsonObject) o;
        assertEquals("value_not_in_list", e.getString("type"), "node " + node + ": " + e.encode());
        String details = e.getString("details");
        missing.add(node + "." + details.substring(0, details.indexOf(" not in ")));
      }
    }
    assertEquals(files.stream().sorted().toList(), missing.stream().sorted().toList(), r.body());
  }
}
