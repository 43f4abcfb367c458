package dev.kiln.task.store;

import dev.kiln.common.db.Tx;
import dev.kiln.task.schedule.FirePlan;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * A task config's tasks (issue 12): the leader's fire of its due instants, and a run by hand.
 *
 * <p>A fire is one fenced transaction: hold the fence, lock the config row, decide from the row
 * as it is now ({@link FirePlan}: the cache that asked only said when to look), create one task
 * per instant that fires, each carrying {@code (config_id, scheduled_for)}, and move the row's
 * {@code next_run_at} on (a DATE that fired becomes inactive). A deposed leader's fire changes
 * nothing; two leaders' fires of one instant are serialised by the row lock, and the second finds
 * {@code next_run_at} moved on; and the unique key on {@code (config_id, scheduled_for)} refuses
 * a second task for an instant whatever happens, so each instant fires exactly once. A fire lost
 * with a leader that died before its commit is still due, and the next leader makes it.
 */
final class TaskConfigFire {
  private TaskConfigFire() {}

  private static final String LOCK = "SELECT " + TaskConfig.COLUMNS + " FROM task_configs WHERE id = $1 FOR NO KEY UPDATE";
  /** With PostgreSQL's clock, the one every time that orders tasks is read from (docs/failures.md), not the leader's. */
  private static final String LOCK_AT = "SELECT " + TaskConfig.COLUMNS + ", clock_timestamp() AS now FROM task_configs "
      + "WHERE id = $1 FOR NO KEY UPDATE";
  private static final String MOVE_ON = "UPDATE task_configs SET next_run_at = $2, is_active = is_active AND $2::timestamptz IS NOT NULL, "
      + "last_run_at = CASE WHEN $3 THEN now() ELSE last_run_at END WHERE id = $1 RETURNING " + TaskConfig.COLUMNS;
  private static final String RAN = "UPDATE task_configs SET last_run_at = now() WHERE id = $1";

  static Future<Fired> fire(Pool pool, long epoch, long configId, Duration grace) {
    return Tx.run(pool, conn -> {
      Future<Void> fenced = Fence.hold(conn, epoch);
      Future<RowSet<Row>> locked = conn.preparedQuery(LOCK_AT).execute(Tuple.of(configId));
      return Future.all(fenced, locked).compose(v -> {
        TaskConfig c = config(locked.result());
        if (c == null || !c.scheduled()) return Future.succeededFuture(new Fired(configId, c, null, List.of()));
        Instant now = locked.result().iterator().next().getOffsetDateTime("now").toInstant();
        FirePlan plan = FirePlan.of(c.schedule(), c.nextRunAt().toInstant(), now, grace, c.misfirePolicy());
        if (plan.nothingDue()) return Future.succeededFuture(new Fired(configId, c, plan, List.of()));
        List<NewTask> tasks = new ArrayList<>();
        for (Instant at : plan.fires()) tasks.add(c.task(at.atOffset(ZoneOffset.UTC)));
        OffsetDateTime next = plan.nextRunAt() == null ? null : plan.nextRunAt().atOffset(ZoneOffset.UTC);
        return TaskStore.insertAndHold(conn, tasks).compose(created -> conn.preparedQuery(MOVE_ON)
            .execute(Tuple.of(configId, next, !created.isEmpty()))
            .map(rows -> new Fired(configId, config(rows), plan, created)));
      });
    });
  }

  /** A task of the config now, whatever its type and even when inactive; null when there is no such config. */
  static Future<Created> runNow(Pool pool, long configId) {
    return Tx.run(pool, conn -> conn.preparedQuery(LOCK).execute(Tuple.of(configId)).compose(rows -> {
      TaskConfig c = config(rows);
      if (c == null) return Future.succeededFuture(null);
      return TaskStore.insertAndHold(conn, List.of(c.task(null)))
          .compose(created -> conn.preparedQuery(RAN).execute(Tuple.of(configId)).map(r -> created.get(0)));
    }));
  }

  private static TaskConfig config(RowSet<Row> rows) {
    return rows.size() == 0 ? null : TaskConfig.of(rows.iterator().next());
  }
}
