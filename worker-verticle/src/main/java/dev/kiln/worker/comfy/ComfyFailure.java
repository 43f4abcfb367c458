package dev.kiln.worker.comfy;

import dev.kiln.task.AttemptOutcome;
import dev.kiln.task.ErrorCode;
import dev.kiln.worker.executor.Outcome;
import io.vertx.core.json.JsonArray;

/** How a ComfyUI call or prompt failed, already classified as the attempt's outcome. */
final class ComfyFailure extends RuntimeException {
  private final transient Outcome outcome;

  private ComfyFailure(Outcome outcome) {
    super(outcome.errorMessage(), null, false, false);
    this.outcome = outcome;
  }

  Outcome outcome() {
    return outcome;
  }

  /** The server did not answer, dropped the socket, or forgot the prompt (a restart): another try may pass. */
  static ComfyFailure unavailable(String message) {
    return new ComfyFailure(Outcome.retryable(ErrorCode.PROVIDER_UNAVAILABLE, message));
  }

  /** The server refused the workflow as filled for this input: the same input is refused again. */
  static ComfyFailure rejected(String message) {
    return new ComfyFailure(Outcome.permanent(ErrorCode.PROVIDER_REJECTED, message));
  }

  /** A node raised while running: retryable (an out-of-memory passes), its trace kept for the execution row. */
  static ComfyFailure nodeError(String message, String traceback) {
    return new ComfyFailure(new Outcome(AttemptOutcome.FAILED, true, ErrorCode.EXECUTOR_ERROR, message, traceback, null, new JsonArray()));
  }
}
