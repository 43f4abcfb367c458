package dev.kiln.task.store;

import dev.kiln.task.TaskEvent;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * An attempt a claim started: the task is running on {@code workerId} as attempt {@code attempt},
 * and its {@code started} event is written. What the worker needs to run it is here too.
 */
public record Claimed(UUID taskId, int attempt, String queue, String workerId, String toolAction, JsonObject input,
                      String sourceImage, String referenceImage, OffsetDateTime createdAt, OffsetDateTime startedAt,
                      OffsetDateTime timeoutAt, TaskEvent started) {}
