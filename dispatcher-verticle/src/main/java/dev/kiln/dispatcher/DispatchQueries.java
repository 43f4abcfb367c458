package dev.kiln.dispatcher;

/**
 * The dispatcher's SQL, in one place. Every write carries the leader's fencing token: the
 * {@code fence} CTE takes a share lock on the leadership row only while its epoch is ours, so a
 * deposed leader's late write changes nothing, and a new leader's epoch bump waits for the
 * old leader's in-flight writes to end.
 */
final class DispatchQueries {
  private DispatchQueries() {}

  private static final String FENCE =
      "fence AS (SELECT 1 FROM dispatcher_leadership WHERE id = 1 AND epoch = $1 FOR SHARE)";

  static final String TAKE_LEAD =
      "UPDATE dispatcher_leadership SET epoch = epoch + 1, leader_id = $1, acquired_at = now() WHERE id = 1 RETURNING epoch";

  static final String EPOCH = "SELECT epoch FROM dispatcher_leadership WHERE id = 1";

  static final String QUEUE_CONFIGS =
      "SELECT queue_name, max_concurrency, job_timeout, max_retries, retry_delay_base, retry_delay_max, "
          + "enable_priority, is_active FROM queue_configs";

  static final String RUNNING =
      "SELECT id, worker_id, queue, attempt, started_at FROM tasks WHERE status = 'running'";

  /**
   * One statement claims up to the free slots ($3 = cardinality of $4) and what max_concurrency
   * leaves, pairs each claimed row with a worker slot, marks it running with its timeout, and
   * writes its {@code started} event. The CTE stops the planner from updating more rows than the
   * LIMIT; SKIP LOCKED lets concurrent claimers pass each other.
   */
  private static final String CLAIM =
      "WITH " + FENCE + ", "
          + "cap AS (SELECT GREATEST(0, q.max_concurrency - (SELECT count(*) FROM tasks WHERE queue = $2 AND status = 'running')) AS n, "
          + "q.job_timeout FROM queue_configs q WHERE q.queue_name = $2 AND q.is_active), "
          // Candidates come from the two partial indexes (an OR over both would sort the whole queue).
          + "candidates AS ((SELECT id FROM tasks WHERE queue = $2 AND status = 'pending' ORDER BY %1$s LIMIT $3 * 2) "
          + "UNION ALL (SELECT id FROM tasks WHERE queue = $2 AND status = 'retrying' AND next_retry_at <= now() "
          + "ORDER BY next_retry_at LIMIT $3 * 2)), "
          + "picked AS (SELECT id FROM tasks WHERE id IN (SELECT id FROM candidates) "
          + "AND (status = 'pending' OR (status = 'retrying' AND next_retry_at <= now())) AND NOT is_deleted "
          + "AND EXISTS (SELECT 1 FROM fence) "
          + "ORDER BY %1$s LIMIT LEAST($3, COALESCE((SELECT n FROM cap), 0)) FOR UPDATE SKIP LOCKED), "
          + "numbered AS (SELECT id, row_number() OVER () AS rn FROM picked), "
          + "slots AS (SELECT w, n FROM unnest($4::text[]) WITH ORDINALITY AS s(w, n)), "
          // clock_timestamp(), not now(): an attempt's times are when its row changed, so the
          // recorded attempts of a task never overlap however transactions interleave.
          + "c AS (UPDATE tasks t SET status = 'running', attempt = t.attempt + 1, worker_id = slots.w, started_at = clock_timestamp(), "
          + "timeout_at = clock_timestamp() + make_interval(secs => (SELECT job_timeout FROM cap) / 1000.0), next_retry_at = NULL, "
          + "progress = 0, error_code = NULL, error_message = NULL "
          + "FROM numbered JOIN slots ON slots.n = numbered.rn WHERE t.id = numbered.id "
          + "RETURNING t.id, t.attempt, t.worker_id, t.tool_action, t.input, t.source_image, t.reference_image, t.created_at, t.started_at, t.timeout_at), "
          + "e AS (INSERT INTO task_events (task_id, event_type, payload) "
          + "SELECT id, 'started', jsonb_build_object('status', 'running', 'attempt', attempt, 'worker_id', worker_id) FROM c "
          + "RETURNING id AS event_id, task_id, payload, created_at AS event_created_at) "
          + "SELECT c.*, e.event_id, e.payload, e.event_created_at FROM c JOIN e ON e.task_id = c.id";

  /** Priority first; within a level tenants round-robin (fair_seq); then oldest first. */
  static final String CLAIM_BY_PRIORITY = String.format(CLAIM, "priority DESC, fair_seq, created_at");
  /** Tenants round-robin, then oldest first. */
  static final String CLAIM_FIFO = String.format(CLAIM, "fair_seq, created_at");

  /**
   * Settles one attempt: the conditional UPDATE on (id, attempt, status = 'running') decides,
   * then the execution row, the assets and the event follow in the same statement. A stale,
   * repeated or late report matches no row and changes nothing.
   * $4 kind: completed | failed | timeout | lost | cancelled. $5 retryable.
   */
  static final String SETTLE =
      "WITH " + FENCE + ", "
          + "cur AS (SELECT id, retry_count, max_retries, lost_count FROM tasks "
          + "WHERE id = $2 AND attempt = $3 AND status = 'running' AND EXISTS (SELECT 1 FROM fence) FOR UPDATE), "
          + "d AS (SELECT id, CASE "
          + "  WHEN $4 IN ('completed', 'cancelled') THEN $4 "
          + "  WHEN $4 = 'lost' THEN CASE WHEN lost_count < $9 THEN CASE WHEN retry_count > 0 THEN 'retrying' ELSE 'pending' END ELSE 'failed' END "
          + "  WHEN ($4 = 'timeout' OR $5) AND retry_count < max_retries THEN 'retrying' "
          + "  WHEN $4 = 'timeout' THEN 'timeout' ELSE 'failed' END AS status, "
          + "($4 IN ('failed', 'timeout') AND ($4 = 'timeout' OR $5) AND retry_count < max_retries) AS spends_retry FROM cur), "
          + "t AS (UPDATE tasks SET status = d.status, "
          + "progress = CASE WHEN d.status = 'completed' THEN 100 ELSE tasks.progress END, "
          + "result = CASE WHEN d.status = 'completed' THEN coalesce(tasks.result, '{}'::jsonb) || coalesce($6::jsonb, '{}'::jsonb) ELSE tasks.result END, "
          + "error_code = CASE WHEN d.status = 'completed' THEN NULL ELSE $7 END, "
          + "error_message = CASE WHEN d.status = 'completed' THEN NULL ELSE $8 END, "
          + "retry_count = tasks.retry_count + d.spends_retry::int, "
          + "lost_count = tasks.lost_count + ($4 = 'lost')::int, "
          + "next_retry_at = CASE WHEN d.spends_retry THEN now() + make_interval(secs => "
          + "  LEAST($11::float8, $10::float8 * power(2, tasks.retry_count)) * (0.5 + random() * 0.5) / 1000.0) "
          + "  WHEN d.status = 'retrying' THEN now() ELSE NULL END, "
          + "timeout_at = NULL, "
          + "execution_duration = (extract(epoch FROM now() - tasks.started_at) * 1000)::int, "
          + "finished_at = CASE WHEN d.status IN ('completed', 'failed', 'timeout', 'cancelled') THEN now() END, "
          + "completed_at = CASE WHEN d.status = 'completed' THEN now() END, "
          + "failed_at = CASE WHEN d.status IN ('failed', 'timeout') THEN now() END "
          + "FROM d WHERE tasks.id = d.id "
          + "RETURNING tasks.id, tasks.status, tasks.queue, tasks.attempt, tasks.worker_id, tasks.started_at, tasks.created_at, "
          + "tasks.retry_count, tasks.next_retry_at, tasks.error_code, tasks.error_message, tasks.result), "
          + "x AS (INSERT INTO task_executions (task_id, attempt, worker_id, status, is_success, started_at, completed_at, "
          + "duration_seconds, result, error_code, error_message, error_traceback) "
          + "SELECT id, attempt, worker_id, CASE WHEN $4 = 'lost' THEN 'worker_lost' ELSE $4 END, status = 'completed', "
          + "started_at, clock_timestamp(), extract(epoch FROM clock_timestamp() - started_at), "
          + "CASE WHEN status = 'completed' THEN result END, "
          + "CASE WHEN status = 'completed' THEN NULL ELSE $7 END, CASE WHEN status = 'completed' THEN NULL ELSE $8 END, $12 FROM t), "
          + "a AS (INSERT INTO task_assets (task_id, asset_type, object_key, file_name, mime_type, size_bytes, width, height, checksum) "
          + "SELECT t.id, j.asset_type, j.object_key, j.file_name, j.mime_type, j.size_bytes, j.width, j.height, j.checksum "
          + "FROM t, jsonb_to_recordset($13::jsonb) AS j(asset_type text, object_key text, file_name text, mime_type text, "
          + "size_bytes bigint, width int, height int, checksum text) WHERE t.status = 'completed'), "
          + "e AS (INSERT INTO task_events (task_id, event_type, payload) "
          + "SELECT id, CASE WHEN status = 'pending' THEN 'retrying' ELSE status END, jsonb_strip_nulls(jsonb_build_object("
          + "'status', status, 'attempt', attempt, 'progress', CASE WHEN status = 'completed' THEN 100 END, "
          + "'result', CASE WHEN status = 'completed' THEN result END, "
          + "'error_code', error_code, 'error_message', error_message, 'retry_count', retry_count, "
          + "'next_retry_at', next_retry_at)) FROM t "
          + "RETURNING id AS event_id, task_id, event_type, payload, created_at AS event_created_at) "
          + "SELECT t.*, e.event_id, e.event_type, e.payload, e.event_created_at FROM t JOIN e ON e.task_id = t.id";

  /** Attempts past their deadline. */
  static final String TIMED_OUT =
      "SELECT id, attempt, worker_id, queue FROM tasks WHERE status = 'running' AND timeout_at < now() LIMIT 500";

  /**
   * The rescuer: running attempts claimed more than $2 ms ago on a worker that is not live
   * ($1). Run every sweep, so an attempt orphaned by any path (a worker gone, a failed query,
   * a leader change) is found within a lease, not at its job_timeout.
   */
  static final String ORPHANED =
      "SELECT id, attempt, worker_id, queue FROM tasks WHERE status = 'running' AND NOT (worker_id = ANY($1::text[])) "
          + "AND started_at < now() - make_interval(secs => $2 / 1000.0) LIMIT 1000";

  /** A hand-off the worker never accepted: back to the queue, the attempt recorded as lost. */
  static final String UNDO =
      "WITH " + FENCE + ", "
          + "u AS (UPDATE tasks SET status = CASE WHEN retry_count > 0 THEN 'retrying' ELSE 'pending' END, "
          + "next_retry_at = CASE WHEN retry_count > 0 THEN now() END, timeout_at = NULL "
          + "WHERE id = $2 AND attempt = $3 AND status = 'running' AND EXISTS (SELECT 1 FROM fence) "
          + "RETURNING id, attempt, worker_id, started_at) "
          + "INSERT INTO task_executions (task_id, attempt, worker_id, status, is_success, started_at, completed_at, "
          + "duration_seconds, error_code, error_message) "
          + "SELECT id, attempt, worker_id, 'worker_lost', false, started_at, clock_timestamp(), "
          + "extract(epoch FROM clock_timestamp() - started_at), 'handoff_failed', $4 FROM u RETURNING task_id";

  /**
   * Coarse progress: the latest value per running attempt, many tasks in one statement, each
   * with a {@code progress} event. Only rising values of the current attempt are kept.
   */
  static final String PROGRESS =
      "WITH v AS (SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[]) AS v(id, attempt, progress, message)), "
          + "u AS (UPDATE tasks t SET progress = v.progress FROM v "
          + "WHERE t.id = v.id AND t.attempt = v.attempt AND t.status = 'running' AND t.progress < v.progress "
          + "RETURNING t.id, t.attempt, v.progress, v.message) "
          + "INSERT INTO task_events (task_id, event_type, payload) "
          + "SELECT id, 'progress', jsonb_strip_nulls(jsonb_build_object('progress', progress, 'attempt', attempt, 'message', message)) FROM u "
          + "RETURNING id, task_id, event_type, payload, created_at";

  static final String DEPTH =
      "SELECT queue, status, count(*) AS n FROM tasks WHERE status IN ('pending', 'running', 'retrying') GROUP BY queue, status";

  static final String UPSERT_WORKER =
      "INSERT INTO workers (id, host, queues, slots, gpu_name, gpu_memory_mb, version, status, last_heartbeat_at) "
          + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now()) ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, "
          + "queues = EXCLUDED.queues, slots = EXCLUDED.slots, gpu_name = EXCLUDED.gpu_name, "
          + "gpu_memory_mb = EXCLUDED.gpu_memory_mb, version = EXCLUDED.version, status = EXCLUDED.status, last_heartbeat_at = now()";

  static final String WORKER_GONE = "UPDATE workers SET status = 'offline' WHERE id = $1";
}
