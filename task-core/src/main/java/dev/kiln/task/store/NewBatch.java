package dev.kiln.task.store;

import io.vertx.core.json.JsonObject;
import java.util.UUID;

/** A batch to create (seeds 000, 002): its row; its tasks come as {@link NewTask}s beside it. */
public record NewBatch(UUID id, String apiClientId, String userId, String toolAction, String title, int size, String prompt,
                       String negativePrompt, Integer width, Integer height, Integer numInferenceSteps, Double guidanceScale,
                       long baseSeed, JsonObject metadata, String webhookUrl, String requestHash) {}
