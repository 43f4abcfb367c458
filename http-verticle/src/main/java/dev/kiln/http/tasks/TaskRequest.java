package dev.kiln.http.tasks;

import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Json;
import dev.kiln.http.auth.Caller;
import dev.kiln.task.ToolAction;
import dev.kiln.task.store.NewTask;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * One task as a caller asks for it ({@code POST /tasks}, or one item of {@code POST /tasks/bulk}),
 * read strictly: known fields, a known tool_action, an input its JSON schema accepts.
 */
record TaskRequest(ToolAction action, JsonObject input, int priority, String channel, String webhookUrl) {
  static final Set<String> FIELDS = Set.of("tool_action", "input", "priority", "webhook_url", "channel");
  /** seed 000 channels a caller may name; {@code batch} is set by POST /batches. */
  static final Set<String> CHANNELS = Set.of("openapi", "web-ui");
  /** seed 004 edit modes, kept in the task row beside the tool_action they mirror. */
  static final Map<String, String> MODES = Map.of("image.head-swap", "HEAD_SWAP",
      "image.background-change", "BACKGROUND_CHANGE", "image.pose-change", "POSE_CHANGE");
  public static final int PRIORITY_LIMIT = 1000;

  /** Reads a body whose fields were already checked against {@link #FIELDS}; a bad value is a 4xx. */
  static TaskRequest of(JsonObject body, boolean debugActions) {
    String name = Json.requiredString(body, "tool_action", 64);
    ToolAction action = ToolAction.of(name)
        .filter(a -> debugActions || !a.debug())
        .orElseThrow(() -> ApiException.invalid("unknown_tool_action", "unknown tool_action '" + name + "'"));
    JsonObject input = Json.optionalObject(body, "input");
    action.check(input).ifPresent(problem -> {
      throw ApiException.invalid("invalid_input", problem);
    });
    int priority = Json.optionalInt(body, "priority", 0, -PRIORITY_LIMIT, PRIORITY_LIMIT);
    String channel = Objects.requireNonNullElse(Json.optionalString(body, "channel", 16), "openapi");
    if (!CHANNELS.contains(channel)) throw ApiException.invalid("invalid_field", "'channel' is openapi or web-ui");
    return new TaskRequest(action, input, priority, channel, TaskRoutes.webhookUrl(body));
  }

  /** The task to create, with its resolved input images, under an Idempotency-Key (or none). */
  NewTask task(Caller caller, List<InputImages.Image> images, String idempotencyKey, String requestHash,
               Function<String, Long> prices) {
    return new NewTask(UUID.randomUUID(), caller.apiClientId(), caller.userId(), channel, action.name(), action.queue(), priority,
        input, idempotencyKey, requestHash, prices.apply(action.name()), webhookUrl, MODES.get(action.name()),
        InputImages.key(images, "source_image"), InputImages.key(images, "reference_image"), input.getJsonObject("config"),
        InputImages.assets(images), null);
  }
}
