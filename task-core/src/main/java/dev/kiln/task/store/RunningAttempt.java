package dev.kiln.task.store;

import java.time.OffsetDateTime;
import java.util.UUID;

/** An attempt Postgres says runs: the task, which attempt, where, since when. */
public record RunningAttempt(UUID taskId, int attempt, String queue, String workerId, OffsetDateTime startedAt) {
  public String key() {
    return taskId + ":" + attempt;
  }
}
