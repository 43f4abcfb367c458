package dev.kiln.task.store;

import dev.kiln.common.time.Iso;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

/**
 * One attempt's {@code task_executions} row as the API shows it: a task's attempts
 * ({@link TaskReads#attempts}) and a task config's runs ({@link TaskConfigs#executions}).
 */
final class Execution {
  private Execution() {}

  /**
   * The most of an attempt's log a read returns. The worker keeps the last 64 KiB already; this
   * holds the page's size to that even for rows written by another version or by hand.
   */
  static final int MAX_LOG_CHARS = 64 * 1024;

  /** Of {@code task_executions e}. */
  static final String COLUMNS = "e.id, e.task_id, e.attempt, e.worker_id, e.outcome, e.is_success, e.scheduled_for, "
      + "e.started_at, e.completed_at, e.duration_seconds, e.result, e.error_code, e.error_message, e.error_traceback, "
      + "e.provider_name, e.provider_job_id, e.gpu_seconds, right(e.logs, " + MAX_LOG_CHARS + ") AS logs";

  static JsonObject json(Row r) {
    return new JsonObject()
        .put("id", r.getLong("id"))
        .put("task_id", r.getUUID("task_id") == null ? null : r.getUUID("task_id").toString())
        .put("attempt", r.getInteger("attempt"))
        .put("scheduled_for", Iso.of(r.getOffsetDateTime("scheduled_for")))
        .put("outcome", r.getString("outcome"))
        .put("is_success", r.getBoolean("is_success"))
        .put("worker_id", r.getString("worker_id"))
        .put("started_at", Iso.of(r.getOffsetDateTime("started_at")))
        .put("completed_at", Iso.of(r.getOffsetDateTime("completed_at")))
        .put("duration_seconds", r.getDouble("duration_seconds"))
        .put("result", r.getJson("result"))
        .put("error_code", r.getString("error_code"))
        .put("error_message", r.getString("error_message"))
        .put("error_traceback", r.getString("error_traceback"))
        .put("provider_name", r.getString("provider_name"))
        .put("provider_job_id", r.getString("provider_job_id"))
        .put("gpu_seconds", r.getDouble("gpu_seconds"))
        .put("logs", r.getString("logs"));
  }
}
