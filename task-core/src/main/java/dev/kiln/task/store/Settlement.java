package dev.kiln.task.store;

import dev.kiln.task.AttemptOutcome;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * How one attempt ended, to be settled: a worker's report (completed, or failed and whether it
 * may pass), or what the dispatcher found (timeout, cancelled, worker lost, hand-off failed).
 * A settlement of an attempt that is no longer running settles nothing.
 *
 * @param assets the output files as {@code task_assets} rows (kept only when it completed)
 */
public record Settlement(UUID taskId, int attempt, AttemptOutcome outcome, boolean retryable, JsonObject result,
                         String errorCode, String errorMessage, String errorTraceback, JsonArray assets) {

  /** An attempt the dispatcher ended: the outcome's own error code, with why. */
  public static Settlement decided(UUID taskId, int attempt, AttemptOutcome outcome, String why) {
    if (outcome.errorCode() == null) throw new IllegalArgumentException(outcome + " is a worker's report, not a decision");
    return new Settlement(taskId, attempt, outcome, false, null, outcome.errorCode().value(), why, null, new JsonArray());
  }

  /** Which attempt: a task's attempts are settled once each. */
  public String key() {
    return taskId + ":" + attempt;
  }
}
