package dev.kiln.task.store;

import dev.kiln.task.TaskEvent;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/** A task really created (not an Idempotency-Key's repeat): as the API shows it, with its created event. */
public record Created(UUID id, String queue, JsonObject task, TaskEvent event) {}
