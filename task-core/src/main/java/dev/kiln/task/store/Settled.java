package dev.kiln.task.store;

import dev.kiln.task.RetryPolicy;
import dev.kiln.task.TaskEvent;
import dev.kiln.task.TaskStatus;
import java.time.OffsetDateTime;

/**
 * A settlement that won: the attempt is over, the task is {@code status} (due again at
 * {@code nextRetryAt} when it waits to retry), and its event is written.
 */
public record Settled(Settlement settlement, String queue, String workerId, OffsetDateTime startedAt,
                      RetryPolicy.Decision decision, OffsetDateTime nextRetryAt, TaskEvent event) {
  public TaskStatus status() {
    return decision.status();
  }
}
