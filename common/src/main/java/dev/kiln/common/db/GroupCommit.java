package dev.kiln.common.db;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Many small writes, one commit: what arrives while a batch is in flight is written next, as
 * pipelined statements in one transaction. A commit costs an fsync, so under load this is
 * what makes throughput. If a batch fails, each of its writes is retried alone so one bad
 * write cannot fail the others. Confined to one event loop (the owning verticle's).
 */
public final class GroupCommit<T, R> {
  /** Writes in one transaction at most. */
  public static final int DEFAULT_MAX_BATCH = 128;
  /** Transactions in flight at once, each on its own connection. */
  public static final int DEFAULT_MAX_IN_FLIGHT = 4;

  private record Item<T, R>(T value, Promise<R> promise) {}

  private final Pool pool;
  private final BiFunction<SqlConnection, T, Future<R>> write;
  private final ArrayDeque<Item<T, R>> queue = new ArrayDeque<>();
  private int inFlight;

  public GroupCommit(Pool pool, BiFunction<SqlConnection, T, Future<R>> write) {
    this.pool = pool;
    this.write = write;
  }

  public Future<R> submit(T value) {
    Promise<R> p = Promise.promise();
    queue.add(new Item<>(value, p));
    drain();
    return p.future();
  }

  private void drain() {
    while (!queue.isEmpty() && inFlight < DEFAULT_MAX_IN_FLIGHT) {
      List<Item<T, R>> batch = new ArrayList<>();
      while (!queue.isEmpty() && batch.size() < DEFAULT_MAX_BATCH) batch.add(queue.poll());
      inFlight++;
      run(batch).onComplete(ar -> {
        inFlight--;
        drain();
      });
    }
  }

  private Future<Void> run(List<Item<T, R>> batch) {
    if (batch.size() == 1) {
      Item<T, R> only = batch.get(0);
      return pool.withTransaction(c -> write.apply(c, only.value())).onComplete(only.promise()).mapEmpty();
    }
    List<R> results = new ArrayList<>();
    return pool.withTransaction(c -> {
      List<Future<R>> writes = new ArrayList<>();
      for (Item<T, R> i : batch) writes.add(write.apply(c, i.value()));
      return Future.all(writes).map(all -> {
        for (Future<R> w : writes) results.add(w.result());
        return null;
      });
    }).transform(ar -> {
      if (ar.succeeded()) {
        for (int k = 0; k < batch.size(); k++) batch.get(k).promise().complete(results.get(k));
        return Future.succeededFuture();
      }
      List<Future<R>> alone = new ArrayList<>();
      for (Item<T, R> i : batch) {
        alone.add(pool.withTransaction(c -> write.apply(c, i.value())).onComplete(i.promise()));
      }
      return Future.join(alone).mapEmpty();
    });
  }
}
