package dev.kiln.common.task;

/** The closed set of {@code error_code} values a task can end with. */
public final class ErrorCode {
  private ErrorCode() {}

  /** The executor said the failure may pass (provider 5xx, connection loss): retried. */
  public static final String EXECUTOR_ERROR = "executor_error";
  /** The input was accepted by the API but the executor cannot use it: not retried. */
  public static final String BAD_INPUT = "bad_input";
  /** An attempt ran past the queue's job_timeout. */
  public static final String TIMEOUT = "timeout";
  /** The worker running the task died or was cut off too many times. */
  public static final String WORKER_LOST = "worker_lost";
  /** Cancelled by its owner. */
  public static final String CANCELLED = "cancelled";
  /** The worker has no executor for this tool_action. */
  public static final String NO_EXECUTOR = "no_executor";
}
