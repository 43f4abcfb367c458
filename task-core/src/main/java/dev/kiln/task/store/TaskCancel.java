package dev.kiln.task.store;

import dev.kiln.task.TaskEvent;
import dev.kiln.task.TaskStatus;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * An owner ends tasks that wait (pending, retrying) at once: one task, or every waiting task of
 * a batch, optionally into the recycle bin on the way. A running attempt is not here: it ends
 * through the leading dispatcher's settlement, which also stops it on its worker. A claim in
 * flight holds its rows (FOR UPDATE), so a cancel waits for it and then sees them running.
 */
final class TaskCancel {
  private TaskCancel() {}

  private static final String LOCK_ONE =
      "SELECT " + LockedTask.COLUMNS + " FROM tasks WHERE id = $1 AND NOT is_deleted AND status = ANY($2::text[]) FOR UPDATE";
  private static final String LOCK_BATCH =
      "SELECT " + LockedTask.COLUMNS + " FROM tasks WHERE batch_id = $1 AND status = ANY($2::text[]) ORDER BY id FOR UPDATE";

  /** $2 the message; $3 true: into the recycle bin as well (a delete keeps the task's own error). */
  private static final String APPLY =
      "WITH t AS (UPDATE tasks SET status = 'cancelled', finished_at = now(), next_retry_at = NULL, "
          + "error_code = CASE WHEN $3 THEN error_code ELSE 'cancelled' END, "
          + "error_message = CASE WHEN $3 THEN error_message ELSE $2 END, "
          + "is_deleted = is_deleted OR $3, deleted_at = CASE WHEN $3 THEN now() ELSE deleted_at END "
          + "WHERE id = ANY($1::uuid[]) RETURNING id, queue, api_client_id, user_id), "
          + "e AS (INSERT INTO task_events (task_id, event_type, payload) "
          + "SELECT id, 'cancelled', CASE WHEN $3 THEN jsonb_build_object('status', 'cancelled', 'deleted', true) "
          + "ELSE jsonb_build_object('status', 'cancelled', 'error_code', 'cancelled') END FROM t RETURNING " + TaskEvent.INSERTED + ") "
          + "SELECT t.queue, t.api_client_id, t.user_id, e.* FROM t JOIN e ON e.task_id = t.id";

  static Future<List<LockedTask>> lockWaiting(SqlConnection conn, UUID taskId) {
    return conn.preparedQuery(LOCK_ONE).execute(Tuple.of(taskId, (Object) TaskStatus.values(TaskStatus.WAITING))).map(TaskCancel::locked);
  }

  private static final String LOCK_REQUEST = "SELECT " + LockedTask.COLUMNS
      + " FROM tasks WHERE generation_request_id = $1 AND status = ANY($2::text[]) ORDER BY id FOR UPDATE";

  static Future<List<LockedTask>> lockWaitingInRequest(SqlConnection conn, UUID requestId) {
    return conn.preparedQuery(LOCK_REQUEST).execute(Tuple.of(requestId, (Object) TaskStatus.values(TaskStatus.WAITING)))
        .map(TaskCancel::locked);
  }

  static Future<List<LockedTask>> lockWaitingInBatch(SqlConnection conn, UUID batchId) {
    return conn.preparedQuery(LOCK_BATCH).execute(Tuple.of(batchId, (Object) TaskStatus.values(TaskStatus.WAITING))).map(TaskCancel::locked);
  }

  static List<LockedTask> locked(Iterable<Row> rows) {
    List<LockedTask> out = new ArrayList<>();
    for (Row r : rows) out.add(LockedTask.of(r));
    return out;
  }

  /** Cancels the locked waiting tasks, with their bookkeeping. */
  static Future<List<Cancelled>> cancel(SqlConnection conn, List<LockedTask> waiting, String message, boolean delete) {
    if (waiting.isEmpty()) return Future.succeededFuture(List.of());
    UUID[] ids = waiting.stream().map(LockedTask::id).toArray(UUID[]::new);
    Future<List<Cancelled>> written = conn.preparedQuery(APPLY).execute(Tuple.of(ids, message, delete)).map(rows -> {
      List<Cancelled> out = new ArrayList<>();
      for (Row r : rows) out.add(new Cancelled(r.getString("queue"), TaskEvent.of(r)));
      return out;
    });
    Future<Void> kept = Bookkeeping.after(conn, waiting.stream().map(t -> new Bookkeeping.Change(t, TaskStatus.CANCELLED)).toList());
    return Future.all(written, kept).map(v -> written.result());
  }
}
