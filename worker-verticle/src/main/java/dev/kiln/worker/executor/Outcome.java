package dev.kiln.worker.executor;

import dev.kiln.task.AttemptOutcome;
import dev.kiln.task.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * How one attempt ended, as the executor classifies it: success with a result and assets, or a
 * failure that is retryable (it may pass) or permanent (it will not). A worker only reports
 * {@link AttemptOutcome#COMPLETED} or {@link AttemptOutcome#FAILED}; the other outcomes are the
 * dispatcher's to decide.
 */
public record Outcome(AttemptOutcome outcome, boolean retryable, ErrorCode errorCode, String errorMessage,
                      String errorTraceback, JsonObject result, JsonArray assets) {

  public Outcome {
    if (!outcome.reportable()) throw new IllegalArgumentException("a worker cannot report " + outcome.value());
    if (outcome == AttemptOutcome.FAILED && errorCode == null) throw new IllegalArgumentException("a failure needs an error code");
  }

  public static Outcome success(JsonObject result, JsonArray assets) {
    return new Outcome(AttemptOutcome.COMPLETED, false, null, null, null, result, assets);
  }

  /** A failure that may pass: the dispatcher retries it while the task's retries last. */
  public static Outcome retryable(ErrorCode code, String message) {
    return new Outcome(AttemptOutcome.FAILED, true, code, message, null, null, new JsonArray());
  }

  /** A failure that will not pass (the input cannot be used, no executor): the task fails now. */
  public static Outcome permanent(ErrorCode code, String message) {
    return new Outcome(AttemptOutcome.FAILED, false, code, message, null, null, new JsonArray());
  }

  /** An exception the executor did not expect: retryable, with its trace kept for the execution row. */
  public static Outcome crashed(ErrorCode code, Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return new Outcome(AttemptOutcome.FAILED, true, code, String.valueOf(t.getMessage()), w.toString(), null, new JsonArray());
  }

  /** True when the attempt completed. */
  public boolean success() {
    return outcome == AttemptOutcome.COMPLETED;
  }

  /** The report's fields as the dispatcher reads them (codes and outcomes as their lower-case values). */
  public JsonObject toJson() {
    return new JsonObject()
        .put("outcome", outcome.value())
        .put("retryable", retryable)
        .put("error_code", errorCode == null ? null : errorCode.value())
        .put("error_message", errorMessage)
        .put("error_traceback", errorTraceback)
        .put("result", result)
        .put("assets", assets);
  }
}
