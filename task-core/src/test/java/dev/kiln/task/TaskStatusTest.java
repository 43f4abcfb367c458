package dev.kiln.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/** The task state machine of DESIGN §3. */
class TaskStatusTest {
  @Test
  void waitingTasksOnlyStartOrAreCancelled() {
    for (TaskStatus waiting : TaskStatus.WAITING) {
      for (TaskStatus next : TaskStatus.values()) {
        assertEquals(next == TaskStatus.RUNNING || next == TaskStatus.CANCELLED, waiting.canMoveTo(next), waiting + " -> " + next);
      }
    }
  }

  @Test
  void aRunningAttemptEndsAnyWayButRunningAgain() {
    for (TaskStatus next : TaskStatus.values()) assertEquals(next != TaskStatus.RUNNING, TaskStatus.RUNNING.canMoveTo(next));
  }

  @Test
  void anEndedTaskOnlyReopensByItsOwnersRetryAndACompletedOneNever() {
    for (TaskStatus ended : TaskStatus.ENDED) {
      for (TaskStatus next : TaskStatus.values()) {
        boolean allowed = ended != TaskStatus.COMPLETED && next == TaskStatus.PENDING;
        assertEquals(allowed, ended.canMoveTo(next), ended + " -> " + next);
      }
    }
    assertEquals(EnumSet.of(TaskStatus.FAILED, TaskStatus.TIMEOUT, TaskStatus.CANCELLED), TaskStatus.RETRYABLE_BY_OWNER);
  }

  @Test
  void valuesAreTheLowerCaseNamesAndNothingElseParses() {
    for (TaskStatus s : TaskStatus.values()) assertEquals(s, TaskStatus.of(s.value()));
    assertThrows(IllegalArgumentException.class, () -> TaskStatus.of("RUNNING"));
    assertThrows(IllegalArgumentException.class, () -> TaskStatus.of("done"));
    assertTrue(TaskStatus.TIMEOUT.terminal());
    assertFalse(TaskStatus.RETRYING.terminal());
  }

  @Test
  void everyOutcomeHasOneValueAndOnlyWorkersReportTwo() {
    for (AttemptOutcome o : AttemptOutcome.values()) assertEquals(o, AttemptOutcome.parse(o.value()).orElseThrow());
    assertEquals(EnumSet.of(AttemptOutcome.COMPLETED, AttemptOutcome.FAILED),
        EnumSet.copyOf(java.util.Arrays.stream(AttemptOutcome.values()).filter(AttemptOutcome::reportable).toList()));
    assertEquals("handoff_failed", AttemptOutcome.HANDOFF_FAILED.errorCode().value());
  }
}
