package dev.kiln.dispatcher;

import io.vertx.core.Future;

/**
 * One of the things the leading dispatcher does while it leads. A {@link LeaderTerm} starts every
 * service when the lead is won and stops them all when it is lost (River's queue maintainer).
 */
interface LeaderService {
  /** Completes when the service is ready (its consumers registered cluster-wide). */
  Future<Void> start();

  /** Stops at once: timers cancelled, consumers unregistered; what is in flight may still finish. */
  void stop();
}
