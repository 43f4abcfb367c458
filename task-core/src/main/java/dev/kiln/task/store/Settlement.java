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
 * @param run what ran it, as the worker reported (null: the dispatcher decided, or nothing was said)
 */
public record Settlement(UUID taskId, int attempt, AttemptOutcome outcome, boolean retryable, JsonObject result,
                         String errorCode, String errorMessage, String errorTraceback, JsonArray assets, Run run) {

  /** The provider that ran the attempt and what it cost (issue 13): its execution row's, and its task's provider. */
  public record Run(String provider, String providerJobId, double gpuSeconds, String logs) {
    /** The most of a report's logs kept: the tail of them (the worker keeps as much, see its Attempt). */
    public static final int MAX_LOG_CHARS = 65_536;

    public Run {
      if (!(gpuSeconds >= 0) || Double.isInfinite(gpuSeconds)) gpuSeconds = 0; // a clock that went back bills nothing
      if (logs != null && logs.length() > MAX_LOG_CHARS) logs = logs.substring(logs.length() - MAX_LOG_CHARS);
    }
  }

  /** A settlement that says nothing of what ran it. */
  public Settlement(UUID taskId, int attempt, AttemptOutcome outcome, boolean retryable, JsonObject result,
                    String errorCode, String errorMessage, String errorTraceback, JsonArray assets) {
    this(taskId, attempt, outcome, retryable, result, errorCode, errorMessage, errorTraceback, assets, null);
  }

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
