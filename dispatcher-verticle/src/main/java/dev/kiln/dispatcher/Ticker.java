package dev.kiln.dispatcher;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * A leader service's loop (River's shape): every {@code intervalMs} one run, never two at once (a
 * run still going when the next is due lets that one pass). A run's result is logged when it did
 * something, its failure always: the next run tries again.
 */
final class Ticker<T> implements LeaderService {
  /** What a run reports; {@link #nothing()} keeps quiet runs out of the log. */
  interface Outcome {
    boolean nothing();
  }

  private final Vertx vertx;
  private final long intervalMs;
  private final Supplier<Future<T>> run;
  private final Logger log;
  private final String name;
  private long timer = -1;
  private boolean busy;

  Ticker(Vertx vertx, long intervalMs, Supplier<Future<T>> run, Logger log, String name) {
    this.vertx = vertx;
    this.intervalMs = intervalMs;
    this.run = run;
    this.log = log;
    this.name = name;
  }

  @Override
  public Future<Void> start() {
    timer = vertx.setPeriodic(intervalMs, t -> {
      if (busy) return;
      busy = true;
      run.get().onComplete(ar -> {
        busy = false;
        if (ar.failed()) log.warn("{}: {}", name, ar.cause().getMessage());
        else if (ar.result() instanceof Outcome o && !o.nothing()) log.info("{}: {}", name, o);
      });
    });
    return Future.succeededFuture();
  }

  @Override
  public void stop() {
    if (timer >= 0) vertx.cancelTimer(timer);
  }
}
