package dev.kiln.common.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import org.flywaydb.core.Flyway;

/**
 * Applies {@code sql/} with Flyway. Any role may call it at start: Flyway serialises concurrent
 * migrators with a Postgres advisory lock, so several nodes starting at once is safe.
 */
public final class Migrations {
  private Migrations() {}

  /** {@link #applyBlocking} on a worker thread of {@code vertx}. */
  public static Future<Integer> apply(Vertx vertx, String databaseUrl) {
    return vertx.executeBlocking(() -> applyBlocking(databaseUrl), false);
  }

  /** Migrates the database on the calling thread (it blocks); returns how many migrations ran. */
  public static int applyBlocking(String databaseUrl) {
    PgConnectOptions o = Db.connectOptions(databaseUrl);
    return Flyway.configure(Migrations.class.getClassLoader())
        .dataSource(Db.jdbcUrl(o), o.getUser(), o.getPassword())
        .locations("classpath:db/migration")
        .connectRetries(10)
        .load()
        .migrate()
        .migrationsExecuted;
  }
}
