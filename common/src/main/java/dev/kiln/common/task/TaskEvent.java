package dev.kiln.common.task;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

/**
 * A {@code task_events} row as it travels on {@code kiln.tasks.events} and out over SSE.
 * The row id is the SSE event id, so a reconnect with Last-Event-ID resumes exactly.
 */
public final class TaskEvent {
  private TaskEvent() {}

  /** Reads columns {@code id, task_id, event_type, payload, created_at}. */
  public static JsonObject of(Row r) {
    return new JsonObject()
        .put("id", r.getLong("id"))
        .put("task_id", r.getUUID("task_id").toString())
        .put("event_type", r.getString("event_type"))
        .put("payload", r.getJsonObject("payload"))
        .put("created_at", TaskJson.iso(r.getOffsetDateTime("created_at")));
  }

  /** Lifecycle events after which a task's stream has nothing more to say. */
  public static boolean terminal(String eventType) {
    return switch (eventType) {
      case "completed", "failed", "cancelled", "timeout" -> true;
      default -> false;
    };
  }
}
