package dev.kiln.task.store;

import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * A batch to create (seeds 000, 002): its row; its tasks come as {@link NewTask}s beside it. The
 * image parameters (prompt .. baseSeed) are a seed-002 image batch's; null for a generic batch.
 */
public record NewBatch(UUID id, String apiClientId, String userId, String toolAction, String title, int size, String prompt,
                       String negativePrompt, Integer width, Integer height, Integer numInferenceSteps, Double guidanceScale,
                       Long baseSeed, JsonObject metadata, String webhookUrl, String requestHash) {
  /** A generic batch (seed 000): one task of {@code toolAction} per item, each with its own input. */
  public static NewBatch generic(UUID id, String apiClientId, String userId, String toolAction, String title, int size,
                                 JsonObject metadata, String webhookUrl, String requestHash) {
    return new NewBatch(id, apiClientId, userId, toolAction, title, size, null, null, null, null, null, null, null, metadata,
        webhookUrl, requestHash);
  }
}
