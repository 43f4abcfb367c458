package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * GET /tool-actions on a node without KILN_DEBUG_EXECUTORS lists what POST /tasks takes there:
 * no debug.* action, which POST /tasks refuses as unknown. (DashboardTest reads the list of a node
 * with them on, and each action's schema.)
 */
class ToolActionListTest {
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of("KILN_DEBUG_EXECUTORS", "false"));

  @Test
  void withoutDebugExecutorsTheListHasNoDebugActionAsPostTasksTakesNone() throws Exception {
    List<String> names = kiln.api().get("/api/v1/tool-actions").json().getJsonArray("items").stream()
        .map(o -> ((JsonObject) o).getString("tool_action")).toList();
    assertEquals(List.of("image.generate", "image.hires", "image.pattern-extract", "image.head-swap",
        "image.background-change", "image.pose-change", "model3d.generate"), names);
    Api.Reply refused = kiln.api().post("/api/v1/tasks", "{\"tool_action\": \"debug.sleep\", \"input\": {}}");
    assertEquals(422, refused.status(), refused.body());
    assertEquals("unknown_tool_action", refused.json().getString("code"), refused.body());
  }
}
