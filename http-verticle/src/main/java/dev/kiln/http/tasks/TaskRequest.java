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
 * One task as a caller asks for it ({@code POST /tasks}, one item of {@code POST /tasks/bulk}, or
 * one item of a generic {@code POST /batches}), read strictly: known fields, a known tool_action,
 * an input its JSON schema accepts.
 */
public record TaskRequest(ToolAction action, JsonObject input, int priority, String channel, String webhookUrl) {
  static final Set<String> FIELDS = Set.of("tool_action", "input", "priority", "webhook_url", "channel");
  /** seed 000 channels a caller may name; {@code batch} is set by POST /batches. */
  static final Set<String> CHANNELS = Set.of("openapi", "web-ui");
  /** seed 004 edit modes, kept in the task row beside the tool_action they mirror. */
  static final Map<String, String> MODES = Map.of("image.head-swap", "HEAD_SWAP",
      "image.background-change", "BACKGROUND_CHANGE", "image.pose-change", "POSE_CHANGE");
  public static final int PRIORITY_LIMIT = 1000;

  /** Reads a body whose fields were already checked against {@link #FIELDS}; a bad value is a 4xx. */
  static TaskRequest of(JsonObject body, boolean debugActions) {
    ToolAction action = action(body, debugActions);
    JsonObject input = checked(action, Json.optionalObject(body, "input"));
    int priority = priority(body);
    String channel = Objects.requireNonNullElse(Json.optionalString(body, "channel", 16), "openapi");
    if (!CHANNELS.contains(channel)) throw ApiException.invalid("invalid_field", "'channel' is openapi or web-ui");
    return new TaskRequest(action, input, priority, channel, TaskRoutes.webhookUrl(body));
  }

  /** The body's {@code tool_action}: one the caller may run (debug ones only where enabled), else a 422. */
  public static ToolAction action(JsonObject body, boolean debugActions) {
    String name = Json.requiredString(body, "tool_action", 64);
    return ToolAction.of(name)
        .filter(a -> debugActions || !a.debug())
        .orElseThrow(() -> ApiException.invalid("unknown_tool_action", "unknown tool_action '" + name + "'"));
  }

  /** The input, if the action's JSON schema accepts it; else a 422 {@code invalid_input} naming the field. */
  public static JsonObject checked(ToolAction action, JsonObject input) {
    action.check(input).ifPresent(problem -> {
      throw ApiException.invalid("invalid_input", problem);
    });
    return input;
  }

  /** The body's {@code priority}: a whole number within {@link #PRIORITY_LIMIT} either way, 0 when absent. */
  public static int priority(JsonObject body) {
    return Json.optionalInt(body, "priority", 0, -PRIORITY_LIMIT, PRIORITY_LIMIT);
  }

  /** The task to create, with its resolved input images, under an Idempotency-Key (or none). */
  NewTask task(Caller caller, List<InputImages.Image> images, String idempotencyKey, String requestHash,
               Function<String, Long> prices) {
    return task(caller, images, idempotencyKey, requestHash, prices, null);
  }

  /** Item {@code item.index()} of a batch: made in the batch's transaction, its webhook the batch's. */
  public NewTask inBatch(Caller caller, List<InputImages.Image> images, Function<String, Long> prices, NewTask.BatchItem item) {
    return task(caller, images, null, null, prices, item);
  }

  private NewTask task(Caller caller, List<InputImages.Image> images, String idempotencyKey, String requestHash,
                       Function<String, Long> prices, NewTask.BatchItem item) {
    return new NewTask(UUID.randomUUID(), caller.apiClientId(), caller.userId(), channel, action.name(), action.queue(), priority,
        input, idempotencyKey, requestHash, prices.apply(action.name()), webhookUrl, MODES.get(action.name()),
        InputImages.key(images, "source_image"), InputImages.key(images, "reference_image"), input.getJsonObject("config"),
        InputImages.assets(images), item);
  }
}
