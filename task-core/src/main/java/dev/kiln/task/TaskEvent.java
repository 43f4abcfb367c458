package dev.kiln.task;

import dev.kiln.common.bus.Addresses;
import dev.kiln.common.time.Iso;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

/**
 * A {@code task_events} row: what happened to a task, as it travels on {@code kiln.tasks.events}
 * and out over SSE. The row id is the SSE event id, so a reconnect with Last-Event-ID resumes
 * exactly. The owner ({@code api_client_id}, {@code user_id}) travels with it, so a stream of all
 * a caller's tasks is fed without asking Postgres whose task it is.
 *
 * <p>The one way an event is built: every statement of the core that writes events returns them
 * under the column names {@link #of(Row)} reads, and every role publishes them with
 * {@link #publish(EventBus)} after its transaction commits.
 */
public record TaskEvent(long id, String taskId, String type, JsonObject payload, String createdAt,
                        String apiClientId, String userId) {

  /** The event types, lower case in SQL and SSE. */
  public static final String CREATED = "created";
  public static final String STARTED = "started";
  public static final String PROGRESS = "progress";
  public static final String RETRYING = "retrying";

  /**
   * The columns {@link #of(Row)} reads: the event, and the owner of its task. A statement writes
   * its events with {@code RETURNING} {@link #INSERTED} and joins the owner in.
   */
  public static final String COLUMNS = "event_id, task_id, event_type, payload, event_created_at, api_client_id, user_id";
  /** What an INSERT INTO task_events returns, under the names of {@link #COLUMNS}. */
  public static final String INSERTED = "id AS event_id, task_id, event_type, payload, created_at AS event_created_at";

  public static TaskEvent of(Row r) {
    return new TaskEvent(r.getLong("event_id"), r.getUUID("task_id").toString(), r.getString("event_type"),
        r.getJsonObject("payload"), Iso.of(r.getOffsetDateTime("event_created_at")), r.getString("api_client_id"),
        r.getString("user_id"));
  }

  /** The event type a task's move to {@code status} is announced as (back in line is "retrying"). */
  public static String typeOf(TaskStatus status) {
    return switch (status) {
      case PENDING, RETRYING -> RETRYING;
      case RUNNING -> STARTED;
      default -> status.value();
    };
  }

  /** True when nothing more will be said of the task after this event (until an owner retries it). */
  public boolean terminal() {
    return terminal(type);
  }

  public static boolean terminal(String type) {
    return switch (type) {
      case "completed", "failed", "cancelled", "timeout" -> true;
      default -> false;
    };
  }

  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("task_id", taskId).put("event_type", type).put("payload", payload)
        .put("created_at", createdAt).put("api_client_id", apiClientId).put("user_id", userId);
  }

  public static TaskEvent fromJson(JsonObject j) {
    return new TaskEvent(j.getLong("id"), j.getString("task_id"), j.getString("event_type"), j.getJsonObject("payload"),
        j.getString("created_at"), j.getString("api_client_id"), j.getString("user_id"));
  }

  /** Announces the event to every node (SSE fan-out); call after the transaction that wrote it committed. */
  public void publish(EventBus bus) {
    bus.publish(Addresses.TASKS_EVENTS, toJson());
  }

  public static void publish(EventBus bus, Iterable<TaskEvent> events) {
    for (TaskEvent e : events) e.publish(bus);
  }
}
