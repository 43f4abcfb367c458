package dev.kiln.task.store;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * A task to create, as the caller decided it: the row's values before Postgres adds its queue's
 * {@code max_retries}, its place in its tenant's line ({@code fair_seq}) and its times.
 *
 * @param inputAssets the input images as {@code task_assets} rows (object_key, mime_type, ...),
 *     the first one the task's preview (seed 000); empty when none
 * @param batch the seed-002 per-image fields of a batch's task; null for a single task
 */
public record NewTask(UUID id, String apiClientId, String userId, String channel, String toolAction, String queue,
                      int priority, JsonObject input, String idempotencyKey, String requestHash, long pointsCost,
                      String webhookUrl, String mode, String sourceImage, String referenceImage, JsonObject config,
                      JsonArray inputAssets, BatchItem batch) {

  /** What a task of a batch carries besides its input (seed 002 image_generation_tasks). */
  public record BatchItem(UUID batchId, int index, long seed, String prompt, String negativePrompt, Integer width,
                          Integer height, Integer numInferenceSteps, Double guidanceScale) {}

  /** The tenant the dispatcher is fair between, as {@code tasks.tenant} spells it. */
  public String tenant() {
    return apiClientId + "/" + (userId == null ? "" : userId);
  }
}
