package dev.kiln.worker.executor;

import io.vertx.core.Future;

/**
 * Runs one {@code tool_action} for its {@link Provider}. Called on the worker's event loop:
 * blocking work belongs in {@code executeBlocking}. Watch {@link Attempt#cancellation()} and stop
 * when it completes.
 */
public interface Executor {
  /** The one {@code tool_action} this executor runs. */
  String toolAction();

  /** Runs the attempt to an outcome; a failed Future counts as a crash (retryable {@code executor_error}). */
  Future<Outcome> run(Attempt attempt);
}
