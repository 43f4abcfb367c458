package dev.kiln.common.db;

import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Tells a store that is away (PostgreSQL down or restarting, a pool that cannot get a
 * connection in time, a connection cut) from a bug, by the failure's type and SQLSTATE, never
 * its message: the API answers the first with 503 and {@code Retry-After}, the second with 500.
 */
public final class Outages {
  private Outages() {}

  /**
   * SQLSTATEs of a server that cannot serve now: class 08 (connection exception), 57P01-57P03
   * (admin shutdown, crash shutdown, cannot connect now), 53300 (too many connections).
   */
  private static final Set<String> UNAVAILABLE = Set.of("57P01", "57P02", "57P03", "53300");

  public static boolean isOutage(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      // TimeoutException: the pool could not get a connection in time; IOException: refused, reset, cut.
      if (t instanceof ClosedConnectionException || t instanceof IOException || t instanceof TimeoutException
          || t instanceof io.netty.channel.ChannelException) {
        return true;
      }
      if (t instanceof PgException pg && pg.getSqlState() != null
          && (pg.getSqlState().startsWith("08") || UNAVAILABLE.contains(pg.getSqlState()))) {
        return true;
      }
    }
    return false;
  }
}
