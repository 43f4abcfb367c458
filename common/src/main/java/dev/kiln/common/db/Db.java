package dev.kiln.common.db;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

/** Postgres access: one shared pool per process, built from {@code DATABASE_URL}. */
public final class Db {
  private Db() {}

  public static final int DEFAULT_POOL_SIZE = 8;
  /**
   * Postgres ends a session left inside a transaction this long. Kiln's transactions are a few
   * pipelined statements; one left open means its process hung (SIGSTOP, a long pause), and its
   * row locks (the leader's epoch fence among them) must not stall the rest of the cluster.
   */
  public static final long IDLE_IN_TRANSACTION_TIMEOUT_MILLIS = 5_000;

  public static PgConnectOptions connectOptions(String databaseUrl) {
    return PgConnectOptions.fromUri(databaseUrl)
        .addProperty("application_name", "kiln")
        .addProperty("idle_in_transaction_session_timeout", String.valueOf(IDLE_IN_TRANSACTION_TIMEOUT_MILLIS))
        .setCachePreparedStatements(true)
        // The dispatcher's statements are long CTEs; the default limit (2048 chars) left them re-parsed every call.
        .setPreparedStatementCacheSqlLimit(16_384)
        .setPipeliningLimit(256)
        .setReconnectAttempts(0);
  }

  /**
   * The node's pool of one database: every verticle of a Vert.x instance that asks for the same
   * URL gets the same connections (a shared pool, by name; closed when its last user closes it),
   * so four HTTP instances and the dispatcher hold {@link #DEFAULT_POOL_SIZE} connections, not five times that.
   */
  public static Pool pool(Vertx vertx, String databaseUrl) {
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(DEFAULT_POOL_SIZE).setShared(true).setName("kiln-pg:" + databaseUrl.hashCode())
            .setMaxWaitQueueSize(10_000).setConnectionTimeout(5).setIdleTimeout(60))
        .connectingTo(connectOptions(databaseUrl))
        .using(vertx)
        .build();
  }

  /** The JDBC form of {@code DATABASE_URL}, for Flyway. */
  public static String jdbcUrl(PgConnectOptions o) {
    return "jdbc:postgresql://" + o.getHost() + ":" + o.getPort() + "/" + o.getDatabase();
  }
}
