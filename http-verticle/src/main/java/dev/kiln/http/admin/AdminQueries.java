package dev.kiln.http.admin;

/** The admin API's own SQL (queues and tasks are the task core's). */
final class AdminQueries {
  private AdminQueries() {}

  /** The workers table (kept by the leading dispatcher), with each one's running attempts. */
  static final String WORKERS =
      "SELECT w.id, w.host, w.queues, w.slots, w.status, w.gpu_name, w.gpu_memory_mb, w.gpu_memory_used_mb, "
          + "w.gpu_utilization_percent, w.version, w.started_at, "
          + "w.last_heartbeat_at, (SELECT count(*) FROM tasks t WHERE t.status = 'running' AND t.worker_id = w.id) AS running "
          + "FROM workers w ORDER BY w.id";
}
