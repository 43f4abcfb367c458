package dev.kiln.common.task;

/** A task's lifecycle (DESIGN §3); the lower-case name is the value in SQL, JSON and SSE. */
public enum TaskStatus {
  PENDING, RUNNING, RETRYING, COMPLETED, FAILED, TIMEOUT, CANCELLED;

  public String value() {
    return name().toLowerCase();
  }

  public boolean terminal() {
    return this == COMPLETED || this == FAILED || this == TIMEOUT || this == CANCELLED;
  }

  public static TaskStatus of(String value) {
    return valueOf(value.toUpperCase());
  }
}
