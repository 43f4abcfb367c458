package dev.kiln.task;

import java.util.Optional;

/**
 * How one attempt of a task ended: the one vocabulary of a worker's report ({@code outcome}),
 * the dispatcher's settlement, {@code task_executions.status} and the API's JSON. A worker reports
 * the first two; the dispatcher decides the others.
 */
public enum AttemptOutcome {
  /** The executor succeeded. */
  COMPLETED(null),
  /** The executor failed; whether it may pass is the report's {@code retryable}. */
  FAILED(null),
  /** The attempt ran past its timeout and was stopped. */
  TIMEOUT(ErrorCode.TIMEOUT),
  /** Its owner cancelled it while it ran. */
  CANCELLED(ErrorCode.CANCELLED),
  /** Its worker died, was cut off, or did not have it. */
  WORKER_LOST(ErrorCode.WORKER_LOST),
  /** Its worker never accepted the hand-off. */
  HANDOFF_FAILED(ErrorCode.HANDOFF_FAILED);

  private final ErrorCode errorCode;

  AttemptOutcome(ErrorCode errorCode) {
    this.errorCode = errorCode;
  }

  /** The value in SQL and JSON. */
  public String value() {
    return name().toLowerCase();
  }

  /** The error code an attempt ending this way carries, when the outcome itself says it (null: the report's own). */
  public ErrorCode errorCode() {
    return errorCode;
  }

  /** Outcomes a worker may report; the others only the dispatcher decides. */
  public boolean reportable() {
    return this == COMPLETED || this == FAILED;
  }

  public static Optional<AttemptOutcome> parse(String value) {
    for (AttemptOutcome o : values()) {
      if (o.value().equals(value)) return Optional.of(o);
    }
    return Optional.empty();
  }
}
