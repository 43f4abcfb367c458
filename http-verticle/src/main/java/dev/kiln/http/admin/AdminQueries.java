package dev.kiln.http.admin;

/** The admin API's SQL, in one place. */
final class AdminQueries {
  private AdminQueries() {}

  private static final String QUEUE_COLUMNS =
      "q.queue_name, q.max_concurrency, q.job_timeout, q.max_retries, q.retry_delay_base, q.retry_delay_max, "
          + "q.enable_priority, q.is_active, q.updated_at, "
          + "coalesce(c.pending, 0) AS pending, coalesce(c.running, 0) AS running, coalesce(c.retrying, 0) AS retrying";

  private static final String COUNTS =
      "LEFT JOIN (SELECT queue, count(*) FILTER (WHERE status = 'pending') AS pending, "
          + "count(*) FILTER (WHERE status = 'running') AS running, count(*) FILTER (WHERE status = 'retrying') AS retrying "
          + "FROM tasks WHERE status IN ('pending', 'running', 'retrying') GROUP BY queue) c ON c.queue = q.queue_name";

  static final String QUEUES = "SELECT " + QUEUE_COLUMNS + " FROM queue_configs q " + COUNTS + " ORDER BY q.queue_name";

  static final String QUEUE = "SELECT " + QUEUE_COLUMNS + " FROM queue_configs q " + COUNTS + " WHERE q.queue_name = $1";

  /** Absent fields are passed as NULL and keep their value. */
  static final String UPDATE_QUEUE =
      "UPDATE queue_configs SET max_concurrency = COALESCE($2, max_concurrency), job_timeout = COALESCE($3, job_timeout), "
          + "max_retries = COALESCE($4, max_retries), retry_delay_base = COALESCE($5, retry_delay_base), "
          + "retry_delay_max = COALESCE($6, retry_delay_max), enable_priority = COALESCE($7, enable_priority), "
          + "is_active = COALESCE($8, is_active) WHERE queue_name = $1 RETURNING queue_name";

  static final String WORKERS =
      "SELECT w.id, w.host, w.queues, w.slots, w.status, w.gpu_name, w.gpu_memory_mb, w.version, w.started_at, "
          + "w.last_heartbeat_at, (SELECT count(*) FROM tasks t WHERE t.status = 'running' AND t.worker_id = w.id) AS running "
          + "FROM workers w ORDER BY w.id";
}
