package dev.kiln.task;

import java.util.Optional;

/** The closed set of {@code error_code} values a task or an attempt can end with. */
public enum ErrorCode {
  /** The executor said the failure may pass (provider 5xx, connection loss): retried. */
  EXECUTOR_ERROR,
  /** The input was accepted by the API but the executor cannot use it: not retried. */
  BAD_INPUT,
  /** An attempt ran past its timeout. */
  TIMEOUT,
  /** The worker running the attempt died, was cut off, or did not have it. */
  WORKER_LOST,
  /** The worker never accepted the attempt it was handed. */
  HANDOFF_FAILED,
  /** Cancelled by its owner. */
  CANCELLED,
  /** The worker has no executor for this tool_action. */
  NO_EXECUTOR,
  /**
   * The inference server refused the job as submitted (a ComfyUI {@code 400} with
   * {@code node_errors}, a Cog {@code 422}): the same job would be refused again, so not retried.
   */
  PROVIDER_REJECTED,
  /**
   * The inference server did not answer, dropped the connection, or restarted and forgot the job
   * (ComfyUI keeps its history in memory only): retried, here or on another provider.
   */
  PROVIDER_UNAVAILABLE;

  /** The value in SQL and JSON. */
  public String value() {
    return name().toLowerCase();
  }

  public static Optional<ErrorCode> parse(String value) {
    for (ErrorCode c : values()) {
      if (c.value().equals(value)) return Optional.of(c);
    }
    return Optional.empty();
  }
}
