package dev.kiln.worker.executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.task.AttemptOutcome;
import dev.kiln.task.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The report's JSON is the dispatcher's contract: the same keys and lower-case values as ever. */
class OutcomeTest {
  @Test
  void aSuccessReportsCompletedWithItsResultAndAssets() {
    JsonArray assets = new JsonArray().add(new JsonObject().put("file_name", "image.png"));
    JsonObject json = Outcome.success(new JsonObject().put("seed", 1), assets).toJson();
    JsonObject expected = new JsonObject().put("outcome", "completed").put("retryable", false).putNull("error_code")
        .putNull("error_message").putNull("error_traceback").put("result", new JsonObject().put("seed", 1)).put("assets", assets);
    assertEquals(expected, json);
    assertEquals(expected.fieldNames(), json.fieldNames());
  }

  @Test
  void failuresReportFailedWithTheCodesValue() {
    assertEquals(new JsonObject().put("outcome", "failed").put("retryable", false).put("error_code", "bad_input")
            .put("error_message", "source_image is required").putNull("error_traceback").putNull("result").put("assets", new JsonArray()),
        Outcome.permanent(ErrorCode.BAD_INPUT, "source_image is required").toJson());
    JsonObject retry = Outcome.retryable(ErrorCode.CANCELLED, "cancelled").toJson();
    assertEquals("failed", retry.getString("outcome"));
    assertEquals(true, retry.getBoolean("retryable"));
    assertEquals("cancelled", retry.getString("error_code"));
    JsonObject crash = Outcome.crashed(ErrorCode.EXECUTOR_ERROR, new IllegalStateException("boom")).toJson();
    assertEquals("executor_error", crash.getString("error_code"));
    assertEquals("boom", crash.getString("error_message"));
    assertTrue(crash.getString("error_traceback").contains("IllegalStateException"), crash.getString("error_traceback"));
  }

  @Test
  void aWorkerReportsOnlyWhatAWorkerMay() {
    for (AttemptOutcome o : AttemptOutcome.values()) {
      if (o.reportable()) continue;
      assertThrows(IllegalArgumentException.class, () -> new Outcome(o, false, o.errorCode(), "x", null, null, new JsonArray()), o.value());
    }
    assertThrows(IllegalArgumentException.class, () -> Outcome.permanent(null, "no code"));
  }
}
