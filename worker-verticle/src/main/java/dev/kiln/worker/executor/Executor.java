package dev.kiln.worker.executor;

import io.vertx.core.Future;

/**
 * Runs one {@code tool_action}. Called on the worker's event loop: blocking work belongs in
 * {@code executeBlocking}. Watch {@link Execution#cancellation()} and stop when it completes.
 */
public interface Executor {
  String toolAction();

  Future<Outcome> run(Execution execution);
}
