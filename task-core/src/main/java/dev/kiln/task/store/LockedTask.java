package dev.kiln.task.store;

import dev.kiln.task.RetryPolicy;
import dev.kiln.task.TaskStatus;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A task as a transition reads it under its row lock: what the decision needs and what the
 * bookkeeping after it needs (its hold, batch, webhook). Read with {@link #COLUMNS}.
 */
record LockedTask(UUID id, int attempt, TaskStatus status, String queue, String toolAction, String workerId,
                  RetryPolicy.Counters counters, long pointsCost, UUID walletHoldId, UUID batchId, String webhookUrl,
                  String apiClientId, String userId, OffsetDateTime startedAt, UUID generationRequestId) {

  static final String COLUMNS = "id, attempt, status, queue, tool_action, worker_id, retry_count, max_retries, lost_count, handoff_count, "
      + "coalesce(points_cost, 0) AS points_cost, wallet_hold_id, batch_id, webhook_url, api_client_id, user_id, started_at, "
      + "generation_request_id";

  static LockedTask of(Row r) {
    return new LockedTask(r.getUUID("id"), r.getInteger("attempt"), TaskStatus.of(r.getString("status")), r.getString("queue"),
        r.getString("tool_action"), r.getString("worker_id"),
        new RetryPolicy.Counters(r.getInteger("retry_count"), r.getInteger("max_retries"), r.getInteger("lost_count"),
            r.getInteger("handoff_count")),
        r.getLong("points_cost"), r.getUUID("wallet_hold_id"), r.getUUID("batch_id"), r.getString("webhook_url"),
        r.getString("api_client_id"), r.getString("user_id"), r.getOffsetDateTime("started_at"),
        r.getUUID("generation_request_id"));
  }

  boolean priced() {
    return pointsCost > 0;
  }
}
