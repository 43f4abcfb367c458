package dev.kiln.worker.cog;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * A Cog prediction object as the server answers it: {@code status} one of {@code starting |
 * processing | succeeded | failed | canceled}, its {@code output} (any JSON, files as URLs or
 * data: URIs), all its {@code logs} so far, the {@code error} when it failed, and
 * {@code metrics.predict_time} in seconds.
 */
record Prediction(String id, String status, Object output, String logs, String error, Double predictTimeSeconds) {
  static final String SUCCEEDED = "succeeded";
  static final String FAILED = "failed";
  static final String CANCELED = "canceled";
  private static final Set<String> TERMINAL = Set.of(SUCCEEDED, FAILED, CANCELED);

  static Prediction from(JsonObject o) {
    Object status = o.getValue("status");
    if (!(status instanceof String s)) throw CogError.unavailable("answered a prediction without a status");
    JsonObject metrics = o.getValue("metrics") instanceof JsonObject m ? m : new JsonObject();
    Double predictTime = metrics.getValue("predict_time") instanceof Number n ? n.doubleValue() : null;
    // Older Cog sends logs as a string, some servers as a list of lines.
    Object logs = o.getValue("logs");
    String text = logs instanceof String l ? l : logs instanceof JsonArray lines ? joined(lines) : null;
    return new Prediction(o.getString("id"), s, o.getValue("output"), text, o.getValue("error") == null ? null : String.valueOf(o.getValue("error")),
        predictTime);
  }

  private static String joined(JsonArray lines) {
    StringBuilder b = new StringBuilder();
    lines.forEach(line -> b.append(line));
    return b.toString();
  }

  /** True once it will not change again. */
  boolean terminal() {
    return TERMINAL.contains(status);
  }
}
