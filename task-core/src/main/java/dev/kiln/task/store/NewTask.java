package dev.kiln.task.store;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A task to create, as the caller decided it: the row's values before Postgres adds its queue's
 * {@code max_retries}, its place in its tenant's line ({@code fair_seq}) and its times.
 *
 * @param inputAssets the input images as {@code task_assets} rows (object_key, mime_type, ...),
 *     the first one the task's preview (seed 000); empty when none
 * @param batch the seed-002 per-image fields of a batch's task; null for a single task
 * @param template the task config it was made from and what that sets; null for any other task
 */
public record NewTask(UUID id, String apiClientId, String userId, String channel, String toolAction, String queue,
                      int priority, JsonObject input, String idempotencyKey, String requestHash, long pointsCost,
                      String webhookUrl, String mode, String sourceImage, String referenceImage, JsonObject config,
                      JsonArray inputAssets, BatchItem batch, Template template) {

  /** A task that no config made. */
  public NewTask(UUID id, String apiClientId, String userId, String channel, String toolAction, String queue,
                 int priority, JsonObject input, String idempotencyKey, String requestHash, long pointsCost,
                 String webhookUrl, String mode, String sourceImage, String referenceImage, JsonObject config,
                 JsonArray inputAssets, BatchItem batch) {
    this(id, apiClientId, userId, channel, toolAction, queue, priority, input, idempotencyKey, requestHash, pointsCost,
        webhookUrl, mode, sourceImage, referenceImage, config, inputAssets, batch, null);
  }

  /**
   * What a task config (seed 001) puts into its task besides the input (issue 12).
   *
   * @param scheduledFor the instant of its schedule the task stands for; null for a run by hand
   * @param maxRetries the task's own max_retries; null: its queue's
   * @param timeoutMs the task's own attempt timeout; null: its queue's job_timeout
   */
  public record Template(long configId, OffsetDateTime scheduledFor, Integer maxRetries, Integer timeoutMs) {}

  /**
   * What a task of a batch carries besides its input: its place, and for a seed-002 image batch
   * the per-image fields (image_generation_tasks); those are null for a generic batch's item.
   */
  public record BatchItem(UUID batchId, int index, Long seed, String prompt, String negativePrompt, Integer width,
                          Integer height, Integer numInferenceSteps, Double guidanceScale) {
    /** Item {@code index} of a generic batch (seed 000): its input says the rest. */
    public static BatchItem of(UUID batchId, int index) {
      return new BatchItem(batchId, index, null, null, null, null, null, null, null);
    }
  }

  /** The tenant the dispatcher is fair between, as {@code tasks.tenant} spells it. */
  public String tenant() {
    return apiClientId + "/" + (userId == null ? "" : userId);
  }
}
