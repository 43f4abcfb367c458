package dev.kiln.task.store;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * What {@code GET /tasks} asks for: every filter optional (null), the live list or the recycle
 * bin, and a page of {@code limit} after the position {@code (afterCreatedAt, afterId)}.
 */
public record TaskFilter(String status, String toolAction, UUID batchId, String channel, OffsetDateTime createdAfter,
                         OffsetDateTime createdBefore, boolean deleted, int limit, OffsetDateTime afterCreatedAt,
                         UUID afterId) {}
