package dev.kiln.common.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.function.Function;

/**
 * A transaction whose {@code BEGIN} travels with its first statement: {@code Pool.withTransaction}
 * waits for {@code BEGIN}'s answer before it sends anything else, one round trip more than the
 * protocol needs. The connection pipelines; Postgres runs what arrives in order. Commit or roll
 * back, always release, as {@code withTransaction} does.
 */
public final class Tx {
  private Tx() {}

  public static <T> Future<T> run(Pool pool, Function<SqlConnection, Future<T>> body) {
    return pool.getConnection().compose(conn -> {
      Future<?> begun = conn.query("BEGIN").execute();
      Future<T> result = apply(body, conn);
      Future<T> done = Future.all(begun, result).map(v -> result.result());
      return done.transform(ar -> conn.query(ar.succeeded() ? "COMMIT" : "ROLLBACK").execute()
          .transform(end -> {
            conn.close();
            if (ar.failed()) return Future.<T>failedFuture(ar.cause());
            return end.succeeded() ? Future.succeededFuture(ar.result()) : Future.<T>failedFuture(end.cause());
          }));
    });
  }

  private static <T> Future<T> apply(Function<SqlConnection, Future<T>> body, SqlConnection conn) {
    try {
      return body.apply(conn);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
