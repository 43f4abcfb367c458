package dev.kiln.task.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

/**
 * The leader's fencing token (DESIGN §5). Every write of the leading dispatcher runs in a
 * transaction that first takes a share lock on the leadership row while its epoch is the
 * writer's: a deposed leader's late write changes nothing, and a new leader's epoch bump waits
 * for the old leader's writes in flight to end.
 */
final class Fence {
  private Fence() {}

  /** As a CTE of a single statement: {@code WITH fence AS (...)}, then {@code EXISTS (SELECT 1 FROM fence)}. $1 = epoch. */
  static final String CTE = "fence AS (SELECT 1 FROM dispatcher_leadership WHERE id = 1 AND epoch = $1 FOR SHARE)";

  private static final String HOLD = "SELECT epoch FROM dispatcher_leadership WHERE id = 1 FOR SHARE";

  /** Inside a transaction: holds the fence for its rest; fails with {@link Deposed} when the epoch is not ours. */
  static Future<Void> hold(SqlConnection conn, long epoch) {
    return conn.preparedQuery(HOLD).execute(Tuple.tuple()).compose(rows -> {
      long now = rows.iterator().next().getLong("epoch");
      return now == epoch ? Future.succeededFuture() : Future.failedFuture(new Deposed(epoch, now));
    });
  }
}
