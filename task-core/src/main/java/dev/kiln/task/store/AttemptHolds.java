package dev.kiln.task.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/**
 * What a worker holds now, by the queue's own rows: the store nodes ask before a worker on
 * another host reads or writes asset bytes through them (KILN_WORKER_ASSETS=cluster). A task is
 * held while it is {@code running} on that worker at that attempt, so a cancelled, timed-out or
 * re-queued attempt loses its access with its lease.
 */
public final class AttemptHolds {
  /** By the primary key. */
  private static final String ATTEMPT = "SELECT 1 FROM tasks WHERE id = $1 AND attempt = $2 AND status = 'running' AND worker_id = $3";
  /** The running tasks are few and have their own partial index (ix_tasks_running). */
  private static final String INPUT = "SELECT 1 FROM tasks WHERE status = 'running' AND worker_id = $1 "
      + "AND (source_image = $2 OR reference_image = $2) LIMIT 1";

  private final Pool pool;

  public AttemptHolds(Pool pool) {
    this.pool = pool;
  }

  /** True when this attempt of the task runs on the worker now. */
  public Future<Boolean> attempt(String workerId, UUID taskId, int attempt) {
    return pool.preparedQuery(ATTEMPT).execute(Tuple.of(taskId, attempt, workerId)).map(rows -> rows.size() > 0);
  }

  /** True when the key is an input image of a task running on the worker now. */
  public Future<Boolean> input(String workerId, String key) {
    return pool.preparedQuery(INPUT).execute(Tuple.of(workerId, key)).map(rows -> rows.size() > 0);
  }
}
