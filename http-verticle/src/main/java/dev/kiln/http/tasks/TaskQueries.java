package dev.kiln.http.tasks;

import dev.kiln.common.task.TaskJson;

/** The HTTP role's SQL about tasks, in one place. Never assembled from user input. */
public final class TaskQueries {
  private TaskQueries() {}

  /**
   * The task, its {@code created} event, in one statement (its fair_seq is one past the tail of
   * its tenant's waiting line) (so one transaction): the table is
   * the queue, and nothing exists on the bus that Postgres does not hold.
   */
  static final String CREATE =
      "WITH t AS (INSERT INTO tasks (api_client_id, user_id, channel, tool_action, queue, priority, input, max_retries, fair_seq) "
          + "SELECT $1, $2, 'openapi', $3, q.queue_name, $4, $5, q.max_retries, "
          + "COALESCE((SELECT w.fair_seq + 1 FROM tasks w WHERE w.queue = $6 AND w.status = 'pending' "
          + "AND w.tenant = $1 || '/' || coalesce($2, '') ORDER BY w.fair_seq DESC LIMIT 1), 0) "
          + "FROM queue_configs q WHERE q.queue_name = $6 "
          + "RETURNING " + TaskJson.COLUMNS + "), "
          + "e AS (INSERT INTO task_events (task_id, event_type, payload) "
          + "SELECT id, 'created', jsonb_build_object('status', status, 'tool_action', tool_action, 'queue', queue) FROM t "
          + "RETURNING id AS event_id, task_id, event_type, payload, created_at AS event_created_at) "
          + "SELECT t.*, e.* FROM t JOIN e ON e.task_id = t.id";

  /** Visibility: admin sees all; a client its own; with a user id, that user's only. */
  private static final String OWNED =
      " AND ($2::text IS NULL OR api_client_id = $2) AND ($3::text IS NULL OR user_id = $3)";

  static final String GET = "SELECT " + TaskJson.COLUMNS + " FROM tasks WHERE id = $1 AND NOT is_deleted" + OWNED;

  /**
   * Cancels a task that is not running, in one statement. A claim in flight holds the row
   * (FOR UPDATE), so this waits for it and then sees 'running' and changes nothing.
   */
  static final String CANCEL_WAITING =
      "WITH t AS (UPDATE tasks SET status = 'cancelled', finished_at = now(), next_retry_at = NULL, "
          + "error_code = 'cancelled', error_message = 'cancelled by its owner' "
          + "WHERE id = $1 AND status IN ('pending', 'retrying') RETURNING id, queue), "
          + "e AS (INSERT INTO task_events (task_id, event_type, payload) "
          + "SELECT id, 'cancelled', jsonb_build_object('status', 'cancelled', 'error_code', 'cancelled') FROM t "
          + "RETURNING id, task_id, event_type, payload, created_at) "
          + "SELECT e.*, t.queue FROM e JOIN t ON t.id = e.task_id";

  public static final String EVENTS_AFTER =
      "SELECT id, task_id, event_type, payload, created_at FROM task_events WHERE task_id = $1 AND id > $2 ORDER BY id LIMIT 1000";

  static final String ASSETS =
      "SELECT a.id, a.asset_type, a.object_key, a.file_name, a.mime_type, a.size_bytes, a.width, a.height, a.checksum, a.created_at "
          + "FROM task_assets a JOIN tasks t ON t.id = a.task_id "
          + "WHERE a.task_id = $1 AND NOT t.is_deleted" + OWNED.replace("api_client_id", "t.api_client_id").replace("user_id", "t.user_id")
          + " ORDER BY a.created_at, a.id";
}
