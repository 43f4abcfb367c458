package dev.kiln.task.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.Collection;
import java.util.UUID;

/**
 * A batch's counters and status (DESIGN §3), recounted from its tasks in the transaction that
 * changed them, so they never drift whatever path moved a task. When a batch with a webhook_url
 * reaches its end, its delivery joins the outbox in the same statement.
 */
final class BatchCounts {
  private BatchCounts() {}

  /**
   * Lock first, count after, as two statements: the count's snapshot is then taken once the lock
   * is held, so it sees a sibling task's settlement that committed while this one waited (one
   * statement's count would be as old as the statement, and one of two recounts stale).
   */
  private static final String LOCK = "SELECT id FROM task_batches WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE";

  private static final String RECOUNT =
      "WITH old AS (SELECT id, status FROM task_batches WHERE id = ANY($1::uuid[])), "
          + "c AS (SELECT batch_id, count(*) AS total, "
          + "count(*) FILTER (WHERE status = 'completed') AS completed, "
          + "count(*) FILTER (WHERE status IN ('failed', 'timeout')) AS failed, "
          + "count(*) FILTER (WHERE status = 'cancelled') AS cancelled, "
          + "count(*) FILTER (WHERE attempt > 0) AS started "
          + "FROM tasks WHERE batch_id = ANY($1::uuid[]) GROUP BY batch_id), "
          + "u AS (UPDATE task_batches b SET total_count = c.total, completed_count = c.completed, failed_count = c.failed, "
          + "cancelled_count = c.cancelled, "
          + "status = CASE WHEN c.completed + c.failed + c.cancelled < c.total THEN "
          + "  CASE WHEN c.started > 0 THEN 'running' ELSE 'pending' END "
          + "  WHEN c.completed = c.total THEN 'completed' WHEN c.cancelled = c.total THEN 'cancelled' "
          + "  WHEN c.completed > 0 THEN 'partial' ELSE 'failed' END, "
          + "completed_at = CASE WHEN c.completed + c.failed + c.cancelled = c.total THEN coalesce(b.completed_at, now()) END "
          + "FROM c WHERE b.id = c.batch_id RETURNING b.id, b.status, b.webhook_url) "
          + "INSERT INTO webhook_deliveries (batch_id, url, event) SELECT u.id, u.webhook_url, u.status FROM u JOIN old ON old.id = u.id "
          + "WHERE u.webhook_url IS NOT NULL AND u.status <> old.status AND u.status IN ('completed', 'partial', 'failed', 'cancelled')";

  /**
   * As a CTE of the claim: the first task of a batch to start moves it from pending to running.
   * No count is needed for that, so the claim stays one statement. {@code started} names the
   * claimed rows' CTE.
   */
  static final String START_CTE =
      "bs AS (UPDATE task_batches SET status = 'running' WHERE status = 'pending' "
          + "AND id IN (SELECT batch_id FROM %s WHERE batch_id IS NOT NULL))";

  static Future<Void> recount(SqlConnection conn, Collection<UUID> batchIds) {
    if (batchIds.isEmpty()) return Future.succeededFuture();
    UUID[] ids = batchIds.stream().distinct().sorted().toArray(UUID[]::new);
    Future<?> locked = conn.preparedQuery(LOCK).execute(Tuple.of(ids));
    Future<?> counted = conn.preparedQuery(RECOUNT).execute(Tuple.of(ids));
    return Future.all(locked, counted).mapEmpty();
  }
}
