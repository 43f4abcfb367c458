package dev.kiln.task.store;

import dev.kiln.task.TaskStatus;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.UUID;

/**
 * The recycle bin (seed 000): a soft delete, restorable. A waiting task is cancelled on the way;
 * a running one must be cancelled first. The row lock makes a claim in flight finish first.
 */
final class TaskDelete {
  private TaskDelete() {}

  private static final String LOCK = "SELECT " + LockedTask.COLUMNS + " FROM tasks WHERE id = $1 AND NOT is_deleted FOR UPDATE";
  private static final String MARK = "UPDATE tasks SET is_deleted = true, deleted_at = now() WHERE id = $1";
  private static final String RESTORE = "UPDATE tasks SET is_deleted = false, deleted_at = NULL WHERE id = $1 AND is_deleted";

  static Future<Deleted> delete(SqlConnection conn, UUID taskId) {
    return conn.preparedQuery(LOCK).execute(Tuple.of(taskId)).compose(rows -> {
      List<LockedTask> locked = TaskCancel.locked(rows);
      if (locked.isEmpty()) return Future.succeededFuture(new Deleted(false, List.of())); // gone already
      LockedTask t = locked.get(0);
      if (t.status() == TaskStatus.RUNNING) return Future.succeededFuture(new Deleted(true, List.of()));
      if (t.status().waiting()) {
        return TaskCancel.cancel(conn, locked, "deleted by its owner", true).map(c -> new Deleted(false, c));
      }
      return conn.preparedQuery(MARK).execute(Tuple.of(taskId)).map(r -> new Deleted(false, List.of()));
    });
  }

  /** True when the task was in the bin and is out of it now. */
  static Future<Boolean> restore(SqlConnection conn, UUID taskId) {
    return conn.preparedQuery(RESTORE).execute(Tuple.of(taskId)).map(r -> r.rowCount() > 0);
  }
}
