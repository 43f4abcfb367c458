package dev.kiln.dispatcher;

import dev.kiln.task.store.TaskStore;
import dev.kiln.task.store.WebhookOutbox;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention (River's job cleaner): every {@link Config#intervalMs} the leader deletes the events
 * of ended tasks older than {@code KILN_EVENT_RETENTION_DAYS}, webhook deliveries that are over
 * and as old, and, when {@code KILN_TASK_RETENTION_DAYS} is set, ended tasks older than that with
 * all their history. A bounded number of rows per statement and per run, so it never holds the
 * tables for long; a run that leaves more behind is followed by the next one.
 */
final class Pruner {
  private static final Logger LOG = LoggerFactory.getLogger(Pruner.class);

  static final long DEFAULT_INTERVAL_MS = 60_000;
  static final int DEFAULT_BATCH = 1_000;
  static final int DEFAULT_MAX_BATCHES_PER_RUN = 20;

  /**
   * @param intervalMs how often it runs
   * @param eventRetention how long the events of an ended task are kept (null: for ever)
   * @param taskRetention how long an ended task is kept (null: for ever)
   * @param batch rows deleted per statement at most
   * @param maxBatchesPerRun statements per kind per run at most
   */
  record Config(long intervalMs, Duration eventRetention, Duration taskRetention, int batch, int maxBatchesPerRun) {
    Config {
      if (intervalMs <= 0 || batch < 1 || maxBatchesPerRun < 1) throw new IllegalArgumentException("bad pruner config");
    }

    static Config of(Duration eventRetention, Duration taskRetention) {
      return new Config(DEFAULT_INTERVAL_MS, eventRetention, taskRetention, DEFAULT_BATCH, DEFAULT_MAX_BATCHES_PER_RUN);
    }
  }

  /** What one run deleted. */
  record Run(int events, int tasks, int deliveries) implements Ticker.Outcome {
    @Override
    public boolean nothing() {
      return events + tasks + deliveries == 0;
    }
  }

  private final Vertx vertx;
  private final Config config;
  private final TaskStore store;
  private final WebhookOutbox outbox;
  private final int deliveryMaxAttempts;

  Pruner(Vertx vertx, Config config, TaskStore store, WebhookOutbox outbox, int deliveryMaxAttempts) {
    this.vertx = vertx;
    this.config = config;
    this.store = store;
    this.outbox = outbox;
    this.deliveryMaxAttempts = deliveryMaxAttempts;
  }

  /** Runs it every {@link Config#intervalMs} while the term lasts. */
  LeaderService every() {
    return new Ticker<>(vertx, config.intervalMs(), this::runOnce, LOG, "pruned");
  }

  Future<Run> runOnce() {
    Future<Integer> tasks = config.taskRetention() == null ? Future.succeededFuture(0)
        : repeat(() -> store.pruneTasks(config.taskRetention(), config.batch()), 0, 0);
    return tasks.compose(t -> {
      if (config.eventRetention() == null) return Future.succeededFuture(new Run(0, t, 0));
      return repeat(() -> store.pruneEvents(config.eventRetention(), config.batch()), 0, 0).compose(e ->
          repeat(() -> outbox.prune(config.eventRetention(), deliveryMaxAttempts, config.batch()), 0, 0)
              .map(d -> new Run(e, t, d)));
    });
  }

  /** Deletes batch after batch while they come back full, up to the run's bound; returns the total. */
  private Future<Integer> repeat(Supplier<Future<Integer>> delete, int total, int batches) {
    return delete.get().compose(n -> n == config.batch() && batches + 1 < config.maxBatchesPerRun()
        ? repeat(delete, total + n, batches + 1)
        : Future.succeededFuture(total + n));
  }
}
