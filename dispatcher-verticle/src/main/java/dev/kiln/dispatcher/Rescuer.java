package dev.kiln.dispatcher;

import dev.kiln.task.AttemptOutcome;
import dev.kiln.task.store.RunningAttempt;
import dev.kiln.task.store.Settlement;
import dev.kiln.task.store.TaskReads;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds attempts that will not end by themselves (River's job rescuer), every
 * {@link Config#intervalMs}: those past their timeout (settled {@code timeout}, then stopped on
 * their worker), those on a worker that is not live (settled {@code worker_lost}: its cluster
 * member left unnoticed, it hung, the leader changed), and workers silent past their lease
 * (marked offline). Each look also wakes every claimer, which repairs lost wake-up hints. An
 * attempt whose settlement is still in flight is not asked about again, and a worker is told to
 * stop an attempt only once its settlement won.
 */
final class Rescuer {
  private static final Logger LOG = LoggerFactory.getLogger(Rescuer.class);

  static final long DEFAULT_INTERVAL_MS = 1_000;
  static final int DEFAULT_BATCH = 500;

  /**
   * @param intervalMs how often it looks
   * @param batch most attempts of each kind settled per look (the next look takes the rest)
   * @param orphanAfterMs an attempt on a worker that is not live is lost once it was claimed this long ago
   *     (so a hand-off to a worker not heard from yet is not taken for one)
   */
  record Config(long intervalMs, int batch, long orphanAfterMs) {
    Config {
      if (intervalMs <= 0 || batch < 1 || orphanAfterMs < 0) throw new IllegalArgumentException("bad rescuer config");
    }

    static Config defaults() {
      return new Config(DEFAULT_INTERVAL_MS, DEFAULT_BATCH, WorkerRegistry.DEFAULT_LEASE_MS);
    }
  }

  /** What one look did: attempts settled timeout, settled lost, workers found gone. */
  record Run(int timedOut, int lost, int workersGone) implements Ticker.Outcome {
    @Override
    public boolean nothing() {
      return timedOut + lost + workersGone == 0;
    }
  }

  private final Vertx vertx;
  private final Config config;
  private final TaskReads reads;
  private final WorkerRegistry workers;
  private final WorkerRows rows;
  private final Settler settler;
  private final Claimers claimers;

  Rescuer(Vertx vertx, Config config, TaskReads reads, WorkerRegistry workers, WorkerRows rows, Settler settler, Claimers claimers) {
    this.vertx = vertx;
    this.config = config;
    this.reads = reads;
    this.workers = workers;
    this.rows = rows;
    this.settler = settler;
    this.claimers = claimers;
  }

  /** Runs it every {@link Config#intervalMs} while the term lasts. */
  LeaderService every() {
    return new Ticker<>(vertx, config.intervalMs(), this::runOnce, LOG, "rescuer");
  }

  /** One look. */
  Future<Run> runOnce() {
    claimers.wakeAll();
    long now = System.currentTimeMillis();
    List<String> gone = workers.expire(now);
    if (!gone.isEmpty()) {
      LOG.warn("Workers gone (no heartbeat for {} ms): {}", workers.leaseMs(), gone);
      rows.offline(gone);
    }
    Future<Integer> timedOut = reads.timedOut(config.batch()).compose(attempts -> settleAll(attempts, AttemptOutcome.TIMEOUT));
    Future<Integer> lost = reads.orphaned(workers.live(now), config.orphanAfterMs(), config.batch())
        .compose(attempts -> settleAll(attempts, AttemptOutcome.WORKER_LOST));
    return Future.all(timedOut, lost).map(v -> new Run(timedOut.result(), lost.result(), gone.size()));
  }

  private Future<Integer> settleAll(List<RunningAttempt> attempts, AttemptOutcome outcome) {
    List<Future<Boolean>> settled = new ArrayList<>();
    for (RunningAttempt a : attempts) {
      if (settler.settling(a.key())) continue;
      String why = outcome == AttemptOutcome.TIMEOUT
          ? "attempt " + a.attempt() + " ran past its timeout"
          : "worker " + a.workerId() + " stopped answering";
      settled.add(settler.settle(Settlement.decided(a.taskId(), a.attempt(), outcome, why)).onSuccess(won -> {
        if (won && outcome == AttemptOutcome.TIMEOUT) settler.stopOnWorker(a.workerId(), a.taskId().toString(), a.attempt(), "timeout");
      }));
    }
    return Future.join(settled).map(v -> (int) settled.stream().filter(f -> f.succeeded() && f.result()).count());
  }
}
