package dev.kiln.http.batches;

import dev.kiln.http.api.ApiException;
import dev.kiln.http.auth.Caller;
import dev.kiln.http.tasks.BulkRoutes;
import dev.kiln.http.tasks.InputImages;
import dev.kiln.http.tasks.TaskRequest;
import dev.kiln.task.ToolAction;
import dev.kiln.task.store.NewTask;
import dev.kiln.task.store.TaskReads;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * The generic form of {@code POST /batches} (seed 000 {@code task_batches}): one
 * {@code tool_action} over many inputs, {@code {"tool_action", "items": [input, ...]}}, one task
 * per item. Each item is read as {@code POST /tasks} reads its {@code input} ({@link TaskRequest}:
 * the action's JSON schema, then its images resolved), and a problem names the item,
 * {@code items[i]}, with the code POST /tasks would give it.
 */
final class GenericBatch {
  /** The fields only this form has; {@link BatchRoutes#IMAGE_FIELDS} are only the image form's. */
  static final Set<String> FIELDS = Set.of("tool_action", "items");
  /** All items are created in one transaction, as POST /tasks/bulk's tasks are: the same ceiling. */
  static final int MAX_ITEMS = BulkRoutes.MAX_TASKS;

  private GenericBatch() {}

  /** Whether the body asks for this form. */
  static boolean asked(JsonObject body) {
    return FIELDS.stream().anyMatch(body::containsKey);
  }

  /** The action the body names, checked as POST /tasks checks it. */
  static ToolAction action(JsonObject body, boolean debugActions) {
    return TaskRequest.action(body, debugActions);
  }

  /** The body's items, each an input the action accepts; a 4xx naming the first bad one. */
  static List<TaskRequest> items(JsonObject body, ToolAction action, int priority) {
    if (!(body.getValue("items") instanceof JsonArray items)) {
      throw ApiException.invalid(body.getValue("items") == null ? "missing_field" : "invalid_field",
          "'items' is an array of inputs of " + action.name());
    }
    if (items.isEmpty() || items.size() > MAX_ITEMS) {
      throw ApiException.invalid("invalid_field", "'items' holds 1 to " + MAX_ITEMS + " inputs, not " + items.size());
    }
    List<TaskRequest> out = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      if (!(items.getValue(i) instanceof JsonObject input)) {
        throw ApiException.invalid("invalid_field", "items[" + i + "] must be an object: an input of " + action.name());
      }
      try {
        out.add(new TaskRequest(action, TaskRequest.checked(action, input), priority, "batch", null));
      } catch (ApiException e) {
        throw at(i, e);
      }
    }
    return out;
  }

  /** The batch's tasks in item order, once every item's images are found among the caller's. */
  static Future<List<NewTask>> tasks(List<TaskRequest> items, UUID batchId, Caller caller, TaskReads reads,
                                     Function<String, Long> prices) {
    List<Future<NewTask>> tasks = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      TaskRequest item = items.get(i);
      int index = i;
      tasks.add(InputImages.resolve(reads, caller, item.action(), item.input())
          .recover(e -> Future.failedFuture(e instanceof ApiException api ? at(index, api) : e))
          .map(images -> item.inBatch(caller, images, prices, NewTask.BatchItem.of(batchId, index))));
    }
    return Future.all(tasks).map(all -> all.<NewTask>list());
  }

  private static ApiException at(int i, ApiException e) {
    return new ApiException(e.status(), e.code(), "items[" + i + "]: " + e.getMessage());
  }
}
