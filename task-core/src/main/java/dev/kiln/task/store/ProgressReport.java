package dev.kiln.task.store;

import java.util.UUID;

/** One attempt's latest progress (0-100) as its worker reported it. */
public record ProgressReport(UUID taskId, int attempt, int progress, String message) {}
