package dev.kiln.worker.providers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WorkflowTest {
  private static final JsonObject GRAPH = new JsonObject("""
      {"3": {"class_type": "KSampler", "inputs": {"seed": "{{seed}}", "steps": "{{num_inference_steps}}", "cfg": 7}},
       "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}"}},
       "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "a {{prompt}} here stays as written"}},
       "9": {"class_type": "LoadImage", "inputs": {"image": "{{source_image}}", "list": ["{{seed}}", 1]}}}
      """);

  @Test
  void aWholeStringPlaceholderTakesTheFieldWithItsJsonType() {
    Workflow w = new Workflow(GRAPH);
    assertEquals(Set.of("seed", "num_inference_steps", "prompt", "source_image"), w.placeholders());
    JsonObject filled = w.fill(new JsonObject().put("seed", 42L).put("prompt", "a cat {{x}}"),
        new JsonObject().put("num_inference_steps", 20), Map.of("source_image", "kiln-abc.png"));
    JsonObject sampler = filled.getJsonObject("3").getJsonObject("inputs");
    assertEquals(42L, sampler.getValue("seed"), "a number, not \"42\"");
    assertEquals(20, sampler.getValue("steps"), "from the defaults");
    assertEquals(7, sampler.getValue("cfg"));
    assertEquals("a cat {{x}}", filled.getJsonObject("6").getJsonObject("inputs").getString("text"),
        "the value is not itself searched for placeholders");
    assertEquals("a {{prompt}} here stays as written", filled.getJsonObject("7").getJsonObject("inputs").getString("text"));
    assertEquals("kiln-abc.png", filled.getJsonObject("9").getJsonObject("inputs").getString("image"));
    assertEquals(42L, filled.getJsonObject("9").getJsonObject("inputs").getJsonArray("list").getValue(0), "inside arrays too");
    assertEquals("{{seed}}", GRAPH.getJsonObject("3").getJsonObject("inputs").getString("seed"), "the template is not changed");
  }

  @Test
  void aTaskWithoutASeedGetsARandomOneEachTime() {
    Workflow w = new Workflow(new JsonObject().put("3", new JsonObject().put("seed", "{{seed}}")));
    Set<Object> seen = new java.util.HashSet<>();
    for (int i = 0; i < 5; i++) seen.add(w.fill(new JsonObject(), null, Map.of()).getJsonObject("3").getValue("seed"));
    assertTrue(seen.size() > 1, "five fills drew " + seen);
    seen.forEach(v -> assertTrue(v instanceof Long l && l >= 0 && l < (1L << 53), String.valueOf(v)));
  }

  @Test
  void aPlaceholderNothingFillsNamesTheField() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Workflow(GRAPH).fill(new JsonObject().put("prompt", "x"), new JsonObject(), Map.of()));
    assertTrue(e.getMessage().contains("input.seed") || e.getMessage().contains("input.num_inference_steps")
        || e.getMessage().contains("input.source_image"), e.getMessage());
  }
}
