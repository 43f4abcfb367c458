package dev.kiln.http.tasks;

import dev.kiln.http.api.Json;
import dev.kiln.task.ToolAction;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /tool-actions}: the actions this node accepts, each with its queue, its image fields
 * and the JSON schema its {@code input} is checked against, so that a client (the dashboard) can
 * build its forms from what the server enforces rather than from a copy of it.
 */
public final class ToolActionRoutes {
  private final boolean debugActions;
  private JsonObject body; // fixed for the process: built on the first request

  /** {@code debugActions}: whether the debug.* actions are offered (KILN_DEBUG_EXECUTORS), as POST /tasks takes them. */
  public ToolActionRoutes(boolean debugActions) {
    this.debugActions = debugActions;
  }

  // Not in the constructor: that runs on the event loop while HttpVerticle mounts its routes, and
  // ToolAction's first use loads and compiles every schema (HttpVerticle does that off the loop
  // before it listens, so a request finds them ready).
  private JsonObject body() {
    if (body == null) {
      JsonArray items = new JsonArray();
      for (ToolAction a : ToolAction.all()) {
        if (a.debug() && !debugActions) continue;
        items.add(new JsonObject().put("tool_action", a.name()).put("queue", a.queue())
            .put("image_fields", new JsonArray(a.imageFields())).put("input_schema", a.schema().copy()));
      }
      body = new JsonObject().put("items", items);
    }
    return body;
  }

  public void mount(Router api) {
    api.get("/tool-actions").handler(this::list);
  }

  private void list(RoutingContext ctx) {
    Json.send(ctx, 200, body());
  }
}
