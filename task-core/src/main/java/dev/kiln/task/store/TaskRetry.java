package dev.kiln.task.store;

import dev.kiln.task.TaskEvent;
import dev.kiln.task.TaskStatus;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.UUID;

/**
 * An owner's retry of an ended task (failed, timeout, cancelled): queued again from the start
 * at the tail of its tenant's line, its attempts so far kept in its history; a priced task holds
 * its price anew.
 */
final class TaskRetry {
  private TaskRetry() {}

  private static final String LOCK =
      "SELECT " + LockedTask.COLUMNS + " FROM tasks WHERE id = $1 AND NOT is_deleted AND status = ANY($2::text[]) FOR UPDATE";

  private static final String APPLY =
      "WITH t AS (UPDATE tasks SET status = 'pending', retry_count = 0, lost_count = 0, handoff_count = 0, progress = 0, "
          // the outputs' summary goes; the input preview (seed 000) stays
          + "result = CASE WHEN result ? 'input_preview_asset_id' "
          + "THEN jsonb_build_object('input_preview_asset_id', result -> 'input_preview_asset_id') END, "
          + "error_code = NULL, error_message = NULL, worker_id = NULL, started_at = NULL, finished_at = NULL, "
          + "completed_at = NULL, failed_at = NULL, next_retry_at = NULL, credits_consumed = NULL, "
          + "wallet_hold_id = CASE WHEN $2::uuid IS NULL THEN wallet_hold_id ELSE $2 END, "
          + "fair_seq = " + String.format(TaskInsert.FAIR_SEQ, "tasks", "(SELECT enable_priority FROM queue_configs c WHERE c.queue = tasks.queue)")
          + " WHERE id = $1 RETURNING id, queue, attempt, api_client_id, user_id), "
          + "e AS (INSERT INTO task_events (task_id, event_type, payload) "
          + "SELECT id, '" + TaskEvent.RETRYING + "', jsonb_build_object('status', 'pending', 'manual', true, 'attempt', attempt) FROM t "
          + "RETURNING " + TaskEvent.INSERTED + ") "
          + "SELECT t.queue, t.api_client_id, t.user_id, e.* FROM t JOIN e ON e.task_id = t.id";

  static Future<Retried> retry(SqlConnection conn, UUID taskId) {
    return conn.preparedQuery(LOCK).execute(Tuple.of(taskId, (Object) TaskStatus.values(TaskStatus.RETRYABLE_BY_OWNER))).compose(rows -> {
      List<LockedTask> locked = TaskCancel.locked(rows);
      if (locked.isEmpty()) return Future.succeededFuture(null);
      LockedTask t = locked.get(0);
      UUID hold = t.priced() ? UUID.randomUUID() : null;
      Future<Retried> written = conn.preparedQuery(APPLY).execute(Tuple.of(taskId, hold)).map(r -> {
        Row row = r.iterator().next();
        return new Retried(row.getString("queue"), TaskEvent.of(row));
      });
      Future<Void> kept = Bookkeeping.after(conn, List.of(new Bookkeeping.Change(t, TaskStatus.PENDING, hold)));
      return Future.all(written, kept).map(v -> written.result());
    });
  }
}
