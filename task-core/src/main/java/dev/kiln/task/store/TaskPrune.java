package dev.kiln.task.store;

import dev.kiln.task.TaskStatus;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;

/**
 * Retention: what is old enough goes, a bounded number of rows per statement so that pruning
 * never holds the tables for long. Events of tasks that still run or wait are kept whatever
 * their age (a stream may still replay them).
 */
final class TaskPrune {
  private TaskPrune() {}

  private static final String EVENTS =
      "DELETE FROM task_events WHERE id IN (SELECT e.id FROM task_events e WHERE e.created_at < now() - make_interval(secs => $1) "
          + "AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = e.task_id AND t.status <> ALL($3::text[])) LIMIT $2)";
  /** Ended tasks, with what cascades from them: events, attempts, asset rows, deliveries. */
  private static final String TASKS =
      "DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE finished_at < now() - make_interval(secs => $1) "
          + "AND status = ANY($3::text[]) LIMIT $2)";

  static Future<Integer> events(Pool pool, Duration age, int limit) {
    return pool.preparedQuery(EVENTS).execute(Tuple.of(age.toSeconds(), limit, TaskStatus.values(TaskStatus.ENDED))).map(RowSet::rowCount);
  }

  static Future<Integer> tasks(Pool pool, Duration age, int limit) {
    return pool.preparedQuery(TASKS).execute(Tuple.of(age.toSeconds(), limit, TaskStatus.values(TaskStatus.ENDED))).map(RowSet::rowCount);
  }
}
