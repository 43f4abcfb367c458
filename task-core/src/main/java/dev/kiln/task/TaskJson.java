package dev.kiln.task;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import dev.kiln.common.time.Iso;

/** A {@code tasks} row as the API shows it (the contract of DESIGN §7, snake_case). */
public final class TaskJson {
  private TaskJson() {}

  /** The columns {@link #of(Row)} reads, for SELECT and RETURNING lists. */
  public static final String COLUMNS =
      "id, status, tool_action, channel, queue, priority, progress, attempt, retry_count, max_retries, input, result, "
          + "error_code, error_message, batch_id, worker_id, webhook_url, created_at, started_at, finished_at, next_retry_at, "
          + "config_id, scheduled_for, provider_name, provider_job_id";

  public static JsonObject of(Row r) {
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("status", r.getString("status"))
        .put("tool_action", r.getString("tool_action"))
        .put("channel", r.getString("channel"))
        .put("queue", r.getString("queue"))
        .put("priority", r.getInteger("priority"))
        .put("progress", r.getInteger("progress"))
        .put("attempt", r.getInteger("attempt"))
        .put("retry_count", r.getInteger("retry_count"))
        .put("max_retries", r.getInteger("max_retries"))
        .put("input", r.getJsonObject("input"))
        .put("result", r.getJsonObject("result"))
        .put("error_code", r.getString("error_code"))
        .put("error_message", r.getString("error_message"))
        .put("batch_id", r.getUUID("batch_id") == null ? null : r.getUUID("batch_id").toString())
        .put("worker_id", r.getString("worker_id"))
        .put("webhook_url", r.getString("webhook_url"))
        .put("created_at", Iso.of(r.getOffsetDateTime("created_at")))
        .put("started_at", Iso.of(r.getOffsetDateTime("started_at")))
        .put("finished_at", Iso.of(r.getOffsetDateTime("finished_at")))
        .put("next_retry_at", Iso.of(r.getOffsetDateTime("next_retry_at")))
        // the task config that made it (seed 001) and the instant of its schedule it stands for; null by hand
        .put("config_id", r.getLong("config_id"))
        .put("scheduled_for", Iso.of(r.getOffsetDateTime("scheduled_for")))
        // who ran its last reported attempt (a providers-file name, demo, debug) and that server's own job id
        .put("provider_name", r.getString("provider_name"))
        .put("provider_job_id", r.getString("provider_job_id"));
  }
}
