package dev.kiln.dispatcher;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Tuple;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Pool;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lead is a session-level Postgres advisory lock held on one dedicated connection: Postgres
 * is the truth, so a Hazelcast split cannot make two leaders. When that connection closes or
 * stops answering, this node stops leading at once; Postgres frees the lock when it notices the
 * session is gone, and a standby takes it on its next try.
 */
final class Leadership {
  private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

  /** The advisory lock key: "KILN" in ASCII. */
  static final long LOCK_KEY = 0x4b494c4eL;
  /** Standbys try the lock, and the leader checks its session, this often. */
  static final long TICK_MILLIS = 1_000;
  /** The leader's session must answer a check within this, or the lead is dropped. */
  static final long CHECK_TIMEOUT_MILLIS = 3_000;
  /** Postgres ends the lock session after this long without a query from this node. */
  static final long IDLE_SESSION_TIMEOUT_MILLIS = 4_000;

  /** Winning the lock, a leader bumps the fencing epoch: every write of the old one is refused from now on. */
  private static final String TAKE_LEAD =
      "UPDATE dispatcher_leadership SET epoch = epoch + 1, leader_id = $1, acquired_at = now() WHERE id = 1 RETURNING epoch";

  private final Vertx vertx;
  private final PgConnectOptions options;
  private final String nodeId;
  private final Pool pool;
  private final Function<Long, Future<Runnable>> onLead; // starts leading with an epoch; completes with how to step down
  private final Promise<Void> firstTry = Promise.promise();
  private PgConnection conn;
  private Runnable stepDown;
  private boolean busy;
  private long timer;
  private boolean closed;

  Leadership(Vertx vertx, PgConnectOptions options, String nodeId, Pool pool, Function<Long, Future<Runnable>> onLead) {
    this.vertx = vertx;
    this.options = options;
    this.nodeId = nodeId;
    this.pool = pool;
    this.onLead = onLead;
  }

  /** Starts trying for the lead; completes after the first try (won, lost, or Postgres away: the next tick tries again). */
  Future<Void> start() {
    timer = vertx.setPeriodic(0, TICK_MILLIS, t -> tick());
    return firstTry.future();
  }

  boolean leading() {
    return stepDown != null;
  }

  Future<Void> close() {
    closed = true;
    vertx.cancelTimer(timer);
    lose("shutting down");
    return Future.succeededFuture();
  }

  private void tick() {
    if (busy || closed) return;
    busy = true;
    Future<Void> step = conn == null ? connect().compose(v -> tryLock()) : leading() ? check() : tryLock();
    step.onComplete(ar -> {
      busy = false;
      if (ar.failed()) lose(ar.cause().getMessage());
      firstTry.tryComplete(); // this node has tried once: it leads, stands by, or retries next tick
    });
  }

  /**
   * The lock session ends itself if this node stops talking (hung, stopped, cut off), so a
   * standby can lead; the node's own checks keep it busy every tick while it is well.
   */
  private Future<Void> connect() {
    return PgConnection.connect(vertx, options).compose(c -> c.query("SET idle_session_timeout = " + IDLE_SESSION_TIMEOUT_MILLIS)
        .execute().<PgConnection>map(c).recover(e -> {
          LOG.warn("idle_session_timeout unsupported (PostgreSQL < 14): a hung leader keeps the lead until its TCP session dies");
          return Future.succeededFuture(c);
        })).map(c -> {
      conn = c;
      c.closeHandler(v -> {
        if (conn == c) lose("leadership session closed");
      });
      c.exceptionHandler(e -> LOG.debug("leadership session: {}", e.getMessage()));
      return null;
    });
  }

  private Future<Void> tryLock() {
    return conn.preparedQuery("SELECT pg_try_advisory_lock($1) AS got").execute(Tuple.of(LOCK_KEY)).compose(rows -> {
      if (!rows.iterator().next().getBoolean("got")) return Future.succeededFuture();
      return pool.preparedQuery(TAKE_LEAD).execute(Tuple.of(nodeId)).compose(r -> onLead.apply(r.iterator().next().getLong("epoch")))
          .map(down -> {
        stepDown = down;
        return null;
      });
    });
  }

  private Future<Void> check() {
    return conn.query("SELECT 1").execute().<Void>mapEmpty()
        .timeout(CHECK_TIMEOUT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private void lose(String why) {
    if (stepDown != null) {
      LOG.warn("Stepping down as leader: {}", why);
      Runnable down = stepDown;
      stepDown = null;
      down.run();
    }
    PgConnection c = conn;
    conn = null;
    if (c != null) c.close();
  }
}
