package dev.kiln.task;

import java.util.EnumSet;
import java.util.Set;

/**
 * A task's lifecycle (DESIGN §3), as a closed state machine; the lower-case name is the value in
 * SQL, JSON and SSE. Every write of the core moves a task only along {@link #canMoveTo}, and the
 * statements that select what to move name their statuses from here.
 *
 * <pre>
 *   pending ──claim──▶ running ──▶ completed | failed | timeout | cancelled
 *      ▲  ╲              │ ╲
 *      │   cancel        │  retryable failure, timeout with retries left ──▶ retrying ──claim──▶ running
 *      │                 │                                                      ╲ cancel
 *      └──── worker lost, hand-off failed (no retry spent) ◀┘
 *   failed | timeout | cancelled ──owner's retry──▶ pending
 * </pre>
 */
public enum TaskStatus {
  PENDING, RUNNING, RETRYING, COMPLETED, FAILED, TIMEOUT, CANCELLED;

  /** Statuses a task waits in: a claim takes it (a retrying one when its next_retry_at comes). */
  public static final Set<TaskStatus> WAITING = EnumSet.of(PENDING, RETRYING);
  /** Statuses that end a task; only an owner's retry leaves one of them. */
  public static final Set<TaskStatus> ENDED = EnumSet.of(COMPLETED, FAILED, TIMEOUT, CANCELLED);
  /** Ended statuses an owner may retry from (a completed task is done for good). */
  public static final Set<TaskStatus> RETRYABLE_BY_OWNER = EnumSet.of(FAILED, TIMEOUT, CANCELLED);

  public String value() {
    return name().toLowerCase();
  }

  public boolean terminal() {
    return ENDED.contains(this);
  }

  public boolean waiting() {
    return WAITING.contains(this);
  }

  /** The moves DESIGN §3 allows; a decision that breaks one is a bug, never written. */
  public boolean canMoveTo(TaskStatus next) {
    return switch (this) {
      case PENDING, RETRYING -> next == RUNNING || next == CANCELLED;
      case RUNNING -> next != RUNNING;
      case FAILED, TIMEOUT, CANCELLED -> next == PENDING;
      case COMPLETED -> false;
    };
  }

  /** The status of a SQL or JSON value; IllegalArgumentException for anything else. */
  public static TaskStatus of(String value) {
    for (TaskStatus s : values()) {
      if (s.value().equals(value)) return s;
    }
    throw new IllegalArgumentException("unknown task status '" + value + "'");
  }

  /** The SQL values of a set of statuses, for {@code status = ANY($n)}. */
  public static String[] values(Set<TaskStatus> statuses) {
    return statuses.stream().map(TaskStatus::value).toArray(String[]::new);
  }
}
