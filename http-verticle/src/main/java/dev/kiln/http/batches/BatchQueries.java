package dev.kiln.http.batches;

import dev.kiln.task.BatchJson;

/** The SQL of batches and history (seeds 000 and 002), in one place. */
final class BatchQueries {
  private BatchQueries() {}

  static final String INSERT_BATCH =
      "INSERT INTO task_batches (id, api_client_id, user_id, tool_action, title, total_count, prompt, negative_prompt, "
          + "width, height, num_inference_steps, guidance_scale, base_seed, batch_size, metadata, webhook_url, request_hash) "
          + "VALUES ($1, $2, $3, 'image.generate', $4, $5, $6, $7, $8, $9, $10, $11, $12, $5, $13, $14, $15)";

  /** What the request that made a batch hashed to (Idempotency-Key replays compare it). */
  static final String REQUEST_HASH = "SELECT request_hash FROM task_batches WHERE id = $1";

  /**
   * One task per image, seed base_seed + i, each with its created event, in one statement. They
   * join the tail of the tenant's line in order (fair_seq), so a batch does not jump it.
   */
  static final String INSERT_TASKS =
      "WITH tail AS (SELECT COALESCE((SELECT w.fair_seq + 1 FROM tasks w WHERE w.queue = 'image' AND w.status = 'pending' "
          + "AND w.tenant = $2 || '/' || coalesce($3, '') ORDER BY w.fair_seq DESC LIMIT 1), 0) AS seq), "
          + "t AS (INSERT INTO tasks (batch_id, batch_index, seed, api_client_id, user_id, channel, tool_action, queue, "
          + "priority, input, max_retries, created_at, fair_seq, prompt, negative_prompt, width, height, "
          + "num_inference_steps, guidance_scale, points_cost) "
          + "SELECT $1, i, $5 + i, $2, $3, 'batch', 'image.generate', q.queue_name, $6, "
          + "$7::jsonb || jsonb_build_object('seed', $5 + i), q.max_retries, clock_timestamp(), tail.seq + i, "
          + "$7::jsonb ->> 'prompt', $7::jsonb ->> 'negative_prompt', ($7::jsonb ->> 'width')::numeric::int, ($7::jsonb ->> 'height')::numeric::int, "
          + "($7::jsonb ->> 'num_inference_steps')::numeric::int, ($7::jsonb ->> 'guidance_scale')::float8, $8 "
          + "FROM generate_series(0, $4 - 1) AS i, tail, queue_configs q WHERE q.queue_name = 'image' "
          + "RETURNING id, batch_index), "
          + "e AS (INSERT INTO task_events (task_id, event_type, payload) "
          + "SELECT id, 'created', jsonb_build_object('status', 'pending', 'tool_action', 'image.generate', 'queue', 'image', "
          + "'batch_index', batch_index) FROM t RETURNING id, task_id, event_type, payload, created_at) "
          + "SELECT e.* FROM e";

  private static final String OWNED =
      " AND ($2::text IS NULL OR api_client_id = $2) AND ($3::text IS NULL OR user_id = $3)";

  static final String GET = "SELECT " + BatchJson.COLUMNS + " FROM task_batches WHERE id = $1 AND NOT is_deleted" + OWNED;

  static final String TASKS =
      "SELECT t.id, t.batch_index, t.seed, t.status, t.progress, t.attempt, t.error_code, t.error_message, "
          + "t.created_at, t.finished_at, a.id AS asset_id, a.width AS asset_width, a.height AS asset_height, a.checksum "
          + "FROM tasks t LEFT JOIN LATERAL (SELECT id, width, height, checksum FROM task_assets "
          + "WHERE task_id = t.id AND asset_type = 'output' ORDER BY created_at LIMIT 1) a ON true "
          + "WHERE t.batch_id = $1 ORDER BY t.batch_index";

  /** History: one row per batch, newest first, keyset-paginated on (created_at, id). */
  static final String HISTORY = "SELECT " + BatchJson.COLUMNS + " FROM task_batches WHERE NOT is_deleted" + OWNED
      + " AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $1::uuid)) ORDER BY created_at DESC, id DESC LIMIT $5";

  /** Cancels the batch's waiting tasks at once; running ones go through the leader. */
  static final String CANCEL_WAITING =
      "WITH t AS (UPDATE tasks SET status = 'cancelled', finished_at = now(), next_retry_at = NULL, "
          + "error_code = 'cancelled', error_message = 'batch cancelled by its owner' "
          + "WHERE batch_id = $1 AND status IN ('pending', 'retrying') RETURNING id), "
          + "e AS (INSERT INTO task_events (task_id, event_type, payload) "
          + "SELECT id, 'cancelled', jsonb_build_object('status', 'cancelled', 'error_code', 'cancelled') FROM t "
          + "RETURNING id, task_id, event_type, payload, created_at) SELECT e.* FROM e";

  static final String RUNNING =
      "SELECT id, attempt, queue, worker_id FROM tasks WHERE batch_id = $1 AND status = 'running'";
}
