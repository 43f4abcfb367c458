package dev.kiln.http.tasks;

import dev.kiln.task.TaskJson;

/** The HTTP role's SQL about tasks, in one place. Never assembled from user input. */
public final class TaskQueries {
  private TaskQueries() {}

  /**
   * The task, its {@code created} event, in one statement (its fair_seq is one past the tail of
   * its tenant's waiting line) (so one transaction): the table is
   * the queue, and nothing exists on the bus that Postgres does not hold.
   */
  static final String CREATE =
      "WITH t AS (INSERT INTO tasks (api_client_id, user_id, channel, tool_action, queue, priority, input, max_retries, "
          + "idempotency_key, points_cost, webhook_url, created_at, fair_seq, mode, source_image, reference_image, config, result, request_hash) "
          // clock_timestamp, not now(): tasks written in one group commit still get distinct, ordered times
          + "SELECT $1, $2, $10, $3, q.queue_name, $4, $5, q.max_retries, $7, $8, $9, clock_timestamp(), "
          + "COALESCE((SELECT w.fair_seq + 1 FROM tasks w WHERE w.queue = $6 AND w.status = 'pending' "
          + "AND w.tenant = $1 || '/' || coalesce($2, '') ORDER BY w.fair_seq DESC LIMIT 1), 0), "
          // seed 000: the first input image is the task's preview from the start
          + "$11, $12, $13, $15, CASE WHEN jsonb_array_length($14) > 0 THEN jsonb_build_object('input_preview_asset_id', $14 -> 0 ->> 'id') END, $16 "
          + "FROM queue_configs q WHERE q.queue_name = $6 "
          // A repeated Idempotency-Key inserts nothing (and returns no row): the caller replays.
          + "ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING "
          + "RETURNING " + TaskJson.COLUMNS + "), "
          // clock_timestamp(): the listing (by created_at) shows them in the order given, source first
          + "a AS (INSERT INTO task_assets (id, task_id, asset_type, object_key, file_name, mime_type, size_bytes, width, height, checksum, metadata, created_at) "
          + "SELECT j.id, t.id, 'input', j.object_key, j.file_name, j.mime_type, j.size_bytes, j.width, j.height, j.checksum, j.metadata, clock_timestamp() "
          + "FROM t, jsonb_to_recordset($14) AS j(id uuid, object_key text, file_name text, mime_type text, size_bytes bigint, "
          + "width int, height int, checksum text, metadata jsonb)), "
          + "e AS (INSERT INTO task_events (task_id, event_type, payload) "
          + "SELECT id, 'created', jsonb_build_object('status', status, 'tool_action', tool_action, 'queue', queue) FROM t "
          + "RETURNING id AS event_id, task_id, event_type, payload, created_at AS event_created_at) "
          + "SELECT t.*, e.* FROM t JOIN e ON e.task_id = t.id";

  /** The task a tenant's Idempotency-Key already created, and the hash of the request that made it. */
  static final String BY_IDEMPOTENCY_KEY =
      "SELECT request_hash, " + TaskJson.COLUMNS + " FROM tasks WHERE tenant = $1 AND idempotency_key = $2";

  /** Visibility: admin sees all; a client its own; with a user id, that user's only. */
  private static final String OWNED =
      " AND ($2::text IS NULL OR api_client_id = $2) AND ($3::text IS NULL OR user_id = $3)";

  static final String GET = "SELECT " + TaskJson.COLUMNS + " FROM tasks WHERE id = $1 AND NOT is_deleted" + OWNED;

  /** Also a deleted one (the recycle bin's restore). */
  static final String GET_ANY = "SELECT " + TaskJson.COLUMNS + ", is_deleted FROM tasks WHERE id = $1" + OWNED;

  /**
   * One page of the caller's tasks, newest first, keyset-paginated on (created_at, id). Every
   * filter is optional (NULL); $4 chooses the live list or the recycle bin.
   */
  static final String LIST = "SELECT " + TaskJson.COLUMNS + " FROM tasks WHERE is_deleted = $4"
      + " AND ($2::text IS NULL OR api_client_id = $2) AND ($3::text IS NULL OR user_id = $3)"
      + " AND ($5::text IS NULL OR status = $5) AND ($6::text IS NULL OR tool_action = $6)"
      + " AND ($7::uuid IS NULL OR batch_id = $7) AND ($8::text IS NULL OR channel = $8)"
      + " AND ($9::timestamptz IS NULL OR created_at >= $9) AND ($10::timestamptz IS NULL OR created_at < $10)"
      + " AND ($11::timestamptz IS NULL OR (created_at, id) < ($11, $1::uuid))"
      + " ORDER BY created_at DESC, id DESC LIMIT $12";

  /** A manual retry of an ended task: a fresh start at the tail of its tenant's line. */
  static final String RETRY =
      "WITH t AS (UPDATE tasks SET status = 'pending', retry_count = 0, lost_count = 0, progress = 0, "
          // the outputs' summary goes; the input preview (seed 000) stays
          + "result = CASE WHEN result ? 'input_preview_asset_id' THEN jsonb_build_object('input_preview_asset_id', result -> 'input_preview_asset_id') END, "
          + "error_code = NULL, error_message = NULL, worker_id = NULL, started_at = NULL, finished_at = NULL, "
          + "completed_at = NULL, failed_at = NULL, next_retry_at = NULL, "
          + "fair_seq = COALESCE((SELECT w.fair_seq + 1 FROM tasks w WHERE w.queue = tasks.queue AND w.status = 'pending' "
          + "AND w.tenant = tasks.tenant ORDER BY w.fair_seq DESC LIMIT 1), 0) "
          + "WHERE id = $1 AND NOT is_deleted AND status IN ('failed', 'timeout', 'cancelled') RETURNING id, queue, attempt), "
          + "e AS (INSERT INTO task_events (task_id, event_type, payload) "
          + "SELECT id, 'retrying', jsonb_build_object('status', 'pending', 'manual', true, 'attempt', attempt) FROM t "
          + "RETURNING id, task_id, event_type, payload, created_at) "
          + "SELECT e.*, t.queue FROM e JOIN t ON t.id = e.task_id";

  /**
   * Into the recycle bin; a waiting task is cancelled on the way (a running one must be
   * cancelled first). Locks the row, so a claim in flight is waited for, then seen running.
   */
  static final String DELETE =
      "WITH cur AS (SELECT id, status FROM tasks WHERE id = $1 AND NOT is_deleted AND status <> 'running' FOR UPDATE), "
          + "t AS (UPDATE tasks SET is_deleted = true, deleted_at = now(), "
          + "status = CASE WHEN cur.status IN ('pending', 'retrying') THEN 'cancelled' ELSE cur.status END, "
          + "finished_at = CASE WHEN cur.status IN ('pending', 'retrying') THEN now() ELSE tasks.finished_at END "
          + "FROM cur WHERE tasks.id = cur.id RETURNING tasks.id, tasks.queue, cur.status AS was), "
          + "e AS (INSERT INTO task_events (task_id, event_type, payload) "
          + "SELECT id, 'cancelled', jsonb_build_object('status', 'cancelled', 'deleted', true) FROM t "
          + "WHERE was IN ('pending', 'retrying') RETURNING id, task_id, event_type, payload, created_at) "
          + "SELECT t.queue, t.was, e.* FROM t LEFT JOIN e ON true";

  static final String RESTORE = "UPDATE tasks SET is_deleted = false, deleted_at = NULL WHERE id = $1 AND is_deleted RETURNING id";

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
