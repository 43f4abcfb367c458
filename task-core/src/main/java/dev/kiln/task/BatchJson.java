package dev.kiln.task;

import dev.kiln.common.time.Iso;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

/** A {@code task_batches} row as the API (and a batch webhook) shows it. */
public final class BatchJson {
  private BatchJson() {}

  /** The columns {@link #of(Row)} reads. */
  public static final String COLUMNS = "id, api_client_id, user_id, tool_action, title, status, total_count, completed_count, "
      + "failed_count, cancelled_count, prompt, negative_prompt, width, height, num_inference_steps, guidance_scale, "
      + "base_seed, batch_size, metadata, webhook_url, created_at, completed_at";

  public static JsonObject of(Row r) {
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("status", r.getString("status"))
        .put("tool_action", r.getString("tool_action"))
        .put("title", r.getString("title"))
        .put("prompt", r.getString("prompt"))
        .put("negative_prompt", r.getString("negative_prompt"))
        .put("width", r.getInteger("width"))
        .put("height", r.getInteger("height"))
        .put("num_inference_steps", r.getInteger("num_inference_steps"))
        .put("guidance_scale", r.getDouble("guidance_scale"))
        .put("base_seed", r.getLong("base_seed"))
        .put("batch_size", r.getInteger("batch_size"))
        .put("total_count", r.getInteger("total_count"))
        .put("completed_count", r.getInteger("completed_count"))
        .put("success_count", r.getInteger("completed_count"))
        .put("failed_count", r.getInteger("failed_count"))
        .put("cancelled_count", r.getInteger("cancelled_count"))
        .put("metadata", r.getJsonObject("metadata"))
        .put("webhook_url", r.getString("webhook_url"))
        .put("created_at", Iso.of(r.getOffsetDateTime("created_at")))
        .put("completed_at", Iso.of(r.getOffsetDateTime("completed_at")));
  }
}
