package dev.kiln.worker.providers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The providers file is checked whole at start-up: each mistake stops the worker with one line saying where. */
class ProvidersFileTest {
  @TempDir
  Path dir;

  private static final String TXT2IMG = """
      {"5": {"class_type": "EmptyImage", "inputs": {"width": "{{width}}", "height": "{{height}}", "batch_size": 1, "color": 0}},
       "9": {"class_type": "SaveImage", "inputs": {"images": ["5", 0], "filename_prefix": "{{prompt}}"}}}
      """;

  private Path file(String json) throws IOException {
    Files.createDirectories(dir.resolve("workflows"));
    Files.writeString(dir.resolve("workflows/txt2img.json"), TXT2IMG);
    Path f = dir.resolve("providers.json");
    Files.writeString(f, json);
    return f;
  }

  private static final String GOOD = """
      {"providers": {"comfy-a": {"type": "comfyui", "url": "http://127.0.0.1:8188", "slots": 1},
                     "cog-up": {"type": "http", "url": "http://127.0.0.1:5000", "slots": 2}},
       "actions": {"image.generate": {"provider": "comfy-a", "workflow": "workflows/txt2img.json",
                                      "defaults": {"width": 512, "height": 512}, "min_vram_mb": 8000},
                   "model3d.generate": {"provider": "cog-up"}}}
      """;

  @Test
  void theIssuesExampleReadsWithWorkflowsRelativeToTheFile() throws IOException {
    ProvidersFile p = ProvidersFile.load(file(GOOD));
    assertEquals(List.of("comfy-a", "cog-up"), List.copyOf(p.providers().keySet()));
    assertEquals(2, p.providers().get("cog-up").slots());
    assertEquals(ProvidersFile.DEFAULT_REQUEST_TIMEOUT_MS, p.providers().get("comfy-a").requestTimeoutMs());
    ProvidersFile.ActionSpec gen = p.actions().get("image.generate");
    assertEquals(8000, gen.minVramMb());
    assertTrue(gen.workflow().placeholders().contains("width"));
    assertNull(p.actions().get("model3d.generate").workflow());
    assertEquals(List.of(gen), p.actionsOf("comfy-a"));
  }

  @Test
  void theShippedExamplesRead() {
    // The repository's providers/ folder: what README tells a GPU host to copy and adapt.
    for (String name : List.of("example.json", "example-flux.json")) {
      ProvidersFile p = ProvidersFile.load(Path.of("..", "providers", name).toAbsolutePath().normalize());
      assertTrue(p.actions().containsKey("image.generate"), name);
      assertTrue(p.actions().get("image.hires").workflow().placeholders().contains("source_image"), name);
    }
  }

  private void refused(String json, String says) throws IOException {
    Path f = file(json);
    ConfigException e = assertThrows(ConfigException.class, () -> ProvidersFile.load(f));
    assertTrue(e.getMessage().startsWith("KILN_PROVIDERS: " + f), e.getMessage());
    assertTrue(e.getMessage().contains(says), "'" + e.getMessage() + "' should say " + says);
    assertEquals(1, e.getMessage().lines().count(), "one line");
  }

  @Test
  void eachMistakeIsNamed() throws IOException {
    refused("{\"providers\": ", "not a JSON object");
    refused("[]", "not a JSON object");
    refused(GOOD.replace("\"comfyui\"", "\"a1111\""), "providers.comfy-a.type: 'a1111' is not one of");
    refused(GOOD.replace("http://127.0.0.1:5000", "127.0.0.1:5000"), "providers.cog-up.url");
    refused(GOOD.replace("\"slots\": 2", "\"slots\": 0"), "providers.cog-up.slots: must be a whole number in 1..64");
    refused(GOOD.replace("\"slots\": 2", "\"slotz\": 2"), "providers.cog-up.slotz: unknown key");
    refused(GOOD.replace("{\"provider\": \"cog-up\"}", "{\"provider\": \"cog-down\"}"), "actions.model3d.generate.provider: no provider named 'cog-down'");
    refused(GOOD.replace("\"model3d.generate\"", "\"model3d.sculpt\""), "unknown tool_action 'model3d.sculpt'");
    refused(GOOD.replace("workflows/txt2img.json", "workflows/missing.json"), "cannot read");
    refused(GOOD.replace("\"defaults\": {\"width\": 512, \"height\": 512}, ", ""), "placeholder {{width}} for an optional field");
    refused(GOOD.replace("\"width\": 512", "\"colour\": 512"), "defaults.colour: image.generate has no input field 'colour'");
    refused(GOOD.replace("{\"provider\": \"cog-up\"}", "{\"provider\": \"cog-up\", \"workflow\": \"workflows/txt2img.json\"}"),
        "an http provider takes the task input as it is");
  }

  @Test
  void aWorkflowThatIsNotJsonOrNamesAFieldTheActionLacksIsRefused() throws IOException {
    Path f = file(GOOD);
    Files.writeString(dir.resolve("workflows/txt2img.json"), "{\"5\": {\"inputs\": ");
    assertTrue(assertThrows(ConfigException.class, () -> ProvidersFile.load(f)).getMessage().contains("txt2img.json: not a JSON object"));
    Files.writeString(dir.resolve("workflows/txt2img.json"), "{\"5\": {\"inputs\": {\"denoise\": \"{{strength}}\"}}}");
    assertTrue(assertThrows(ConfigException.class, () -> ProvidersFile.load(f)).getMessage()
        .contains("placeholder {{strength}}, which is no input field of image.generate"));
  }
}
