package dev.kiln.worker.cog;

import dev.kiln.task.ErrorCode;
import dev.kiln.worker.executor.Outcome;

/** A way a prediction ended other than in its output, already classified as the attempt's outcome. */
final class CogError extends RuntimeException {
  private final ErrorCode code;
  private final boolean retryable;

  private CogError(ErrorCode code, boolean retryable, String message) {
    super(message, null, false, false);
    this.code = code;
    this.retryable = retryable;
  }

  /** The server could not be reached, dropped us, was busy or broke (5xx): another try may pass. */
  static CogError unavailable(String message) {
    return new CogError(ErrorCode.PROVIDER_UNAVAILABLE, true, message);
  }

  /** The server refused the input itself (Cog's 422): the same input will be refused again. */
  static CogError rejected(String message) {
    return new CogError(ErrorCode.PROVIDER_REJECTED, false, message);
  }

  /** The model ran and failed (Cog's {@code failed}): a GPU hiccup or out of memory may pass. */
  static CogError failed(String message) {
    return new CogError(ErrorCode.EXECUTOR_ERROR, true, message);
  }

  Outcome outcome() {
    return retryable ? Outcome.retryable(code, getMessage()) : Outcome.permanent(code, getMessage());
  }
}
