package dev.kiln.worker.executor;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * How one attempt ended, as the executor classifies it: success with a result and assets, or a
 * failure that is retryable (it may pass) or permanent (it will not).
 */
public record Outcome(boolean success, boolean retryable, String errorCode, String errorMessage,
                      String errorTraceback, JsonObject result, JsonArray assets) {

  public static Outcome success(JsonObject result, JsonArray assets) {
    return new Outcome(true, false, null, null, null, result, assets);
  }

  public static Outcome retryable(String code, String message) {
    return new Outcome(false, true, code, message, null, null, new JsonArray());
  }

  public static Outcome permanent(String code, String message) {
    return new Outcome(false, false, code, message, null, null, new JsonArray());
  }

  /** An exception the executor did not expect: retryable, with its trace kept for the execution row. */
  public static Outcome crashed(String code, Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return new Outcome(false, true, code, String.valueOf(t.getMessage()), w.toString(), null, new JsonArray());
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("outcome", success ? "completed" : "failed")
        .put("retryable", retryable)
        .put("error_code", errorCode)
        .put("error_message", errorMessage)
        .put("error_traceback", errorTraceback)
        .put("result", result)
        .put("assets", assets);
  }
}
