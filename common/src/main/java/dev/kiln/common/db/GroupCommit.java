package dev.kiln.common.db;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Many small writes, one commit: what arrives while a batch is in flight is written next, as one
 * call of {@code write} with the whole batch (one transaction; a commit costs an fsync, so under
 * load this is what makes throughput). {@code write} answers one result per item, in order (null
 * is a result). If a batch fails, each of its items is written alone, so one bad item cannot
 * fail the others. Confined to one event loop (the owning verticle's).
 */
public final class GroupCommit<T, R> {
  /** Items in one batch at most. */
  public static final int DEFAULT_MAX_BATCH = 128;
  /** Batches in flight at once, each its own transaction on its own connection. */
  public static final int DEFAULT_MAX_IN_FLIGHT = 4;

  private record Item<T, R>(T value, Promise<R> promise) {}

  private final Function<List<T>, Future<List<R>>> write;
  private final int maxBatch;
  private final int maxInFlight;
  private final ArrayDeque<Item<T, R>> queue = new ArrayDeque<>();
  private int inFlight;

  public GroupCommit(Function<List<T>, Future<List<R>>> write) {
    this(write, DEFAULT_MAX_BATCH, DEFAULT_MAX_IN_FLIGHT);
  }

  public GroupCommit(Function<List<T>, Future<List<R>>> write, int maxBatch, int maxInFlight) {
    if (maxBatch < 1 || maxInFlight < 1) throw new IllegalArgumentException("maxBatch and maxInFlight must be >= 1");
    this.write = write;
    this.maxBatch = maxBatch;
    this.maxInFlight = maxInFlight;
  }

  public Future<R> submit(T value) {
    Promise<R> p = Promise.promise();
    queue.add(new Item<>(value, p));
    drain();
    return p.future();
  }

  /** Items waiting for a batch (not counting those in flight). */
  public int waiting() {
    return queue.size();
  }

  private void drain() {
    while (!queue.isEmpty() && inFlight < maxInFlight) {
      List<Item<T, R>> batch = new ArrayList<>();
      while (!queue.isEmpty() && batch.size() < maxBatch) batch.add(queue.poll());
      inFlight++;
      run(batch).onComplete(ar -> {
        inFlight--;
        drain();
      });
    }
  }

  private Future<Void> run(List<Item<T, R>> batch) {
    return call(batch).transform(ar -> {
      if (ar.succeeded()) {
        for (int k = 0; k < batch.size(); k++) batch.get(k).promise().complete(ar.result().get(k));
        return Future.succeededFuture();
      }
      if (batch.size() == 1) {
        batch.get(0).promise().fail(ar.cause());
        return Future.succeededFuture();
      }
      List<Future<R>> alone = new ArrayList<>();
      for (Item<T, R> i : batch) {
        alone.add(call(List.of(i)).map(r -> r.get(0)).onComplete(i.promise()));
      }
      return Future.join(alone).mapEmpty();
    });
  }

  private Future<List<R>> call(List<Item<T, R>> batch) {
    try {
      return write.apply(batch.stream().map(Item::value).toList()).map(results -> {
        if (results.size() != batch.size()) {
          throw new IllegalStateException("a group write answered " + results.size() + " results for " + batch.size() + " items");
        }
        return results;
      });
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }
}
