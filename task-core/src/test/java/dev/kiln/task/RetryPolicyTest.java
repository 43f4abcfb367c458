package dev.kiln.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What becomes of a task when an attempt ends: every branch of DESIGN §4, in milliseconds. */
class RetryPolicyTest {
  private static final Backoff BACKOFF = new Backoff(1_000, 60_000);
  /** random() = 1.0 - ε: the top of the jitter range, so delays are exact. */
  private final RetryPolicy policy = new RetryPolicy(3, 10, () -> 0.999999);

  private static RetryPolicy.Counters counters(int retries, int max, int lost) {
    return new RetryPolicy.Counters(retries, max, lost, 0);
  }

  private static RetryPolicy.Counters handoffs(int failedBefore) {
    return new RetryPolicy.Counters(0, 3, 0, failedBefore);
  }

  @Test
  void aCompletedAttemptCompletesTheTask() {
    RetryPolicy.Decision d = policy.decide(AttemptOutcome.COMPLETED, false, counters(0, 3, 0), BACKOFF);
    assertEquals(TaskStatus.COMPLETED, d.status());
    assertTrue(d.ends());
    assertFalse(d.spendsRetry());
  }

  @Test
  void aRetryableFailureRetriesWithBackoffUntilRetriesAreSpent() {
    RetryPolicy.Decision first = policy.decide(AttemptOutcome.FAILED, true, counters(0, 3, 0), BACKOFF);
    assertEquals(TaskStatus.RETRYING, first.status());
    assertTrue(first.spendsRetry());
    assertEquals(1_000, first.retryDelayMs());
    assertEquals(4_000, policy.decide(AttemptOutcome.FAILED, true, counters(2, 3, 0), BACKOFF).retryDelayMs());
    RetryPolicy.Decision spent = policy.decide(AttemptOutcome.FAILED, true, counters(3, 3, 0), BACKOFF);
    assertEquals(TaskStatus.FAILED, spent.status());
    assertFalse(spent.spendsRetry());
  }

  @Test
  void aPermanentFailureFailsAtOnce() {
    assertEquals(TaskStatus.FAILED, policy.decide(AttemptOutcome.FAILED, false, counters(0, 3, 0), BACKOFF).status());
  }

  @Test
  void aTimeoutRetriesWhileRetriesRemainThenEndsTimeout() {
    assertEquals(TaskStatus.RETRYING, policy.decide(AttemptOutcome.TIMEOUT, false, counters(0, 1, 0), BACKOFF).status());
    assertEquals(TaskStatus.TIMEOUT, policy.decide(AttemptOutcome.TIMEOUT, false, counters(1, 1, 0), BACKOFF).status());
  }

  @Test
  void aLostAttemptIsRequeuedWithoutSpendingARetryUpToTheBoundThenFails() {
    RetryPolicy.Decision back = policy.decide(AttemptOutcome.WORKER_LOST, false, counters(0, 3, 0), BACKOFF);
    assertEquals(TaskStatus.PENDING, back.status(), "a task that never retried waits as pending again");
    assertTrue(back.lost());
    assertFalse(back.spendsRetry());
    assertNull(back.retryDelayMs(), "at once");
    RetryPolicy.Decision retried = policy.decide(AttemptOutcome.WORKER_LOST, false, counters(1, 3, 2), BACKOFF);
    assertEquals(TaskStatus.RETRYING, retried.status(), "one that retried before keeps retrying");
    assertEquals(0L, retried.retryDelayMs(), "due now");
    RetryPolicy.Decision lostForGood = policy.decide(AttemptOutcome.WORKER_LOST, false, counters(0, 3, 3), BACKOFF);
    assertEquals(TaskStatus.FAILED, lostForGood.status());
    assertTrue(lostForGood.lost());
  }

  @Test
  void aFirstFailedHandOffGoesBackAtOnceWithoutSpendingARetry() {
    RetryPolicy.Decision d = policy.decide(AttemptOutcome.HANDOFF_FAILED, false, counters(0, 0, 3), BACKOFF);
    assertEquals(TaskStatus.PENDING, d.status());
    assertNull(d.retryDelayMs());
    assertFalse(d.lost());
    assertFalse(d.spendsRetry());
  }

  /** Issue 10, finding 1: a split worker failed one task's hand-offs 347 times in five seconds. */
  @Test
  void failedHandOffsWaitLongerEachTimeAndTheTenthFailsTheTask() {
    RetryPolicy.Decision second = policy.decide(AttemptOutcome.HANDOFF_FAILED, false, handoffs(1), BACKOFF);
    assertEquals(TaskStatus.RETRYING, second.status());
    assertFalse(second.spendsRetry());
    assertEquals(250L, second.retryDelayMs());
    assertEquals(500L, policy.decide(AttemptOutcome.HANDOFF_FAILED, false, handoffs(2), BACKOFF).retryDelayMs());
    assertEquals(RetryPolicy.HANDOFF_MAX_DELAY_MS, policy.decide(AttemptOutcome.HANDOFF_FAILED, false, handoffs(8), BACKOFF).retryDelayMs());
    RetryPolicy.Decision last = policy.decide(AttemptOutcome.HANDOFF_FAILED, false, handoffs(9), BACKOFF);
    assertEquals(TaskStatus.FAILED, last.status());
    assertTrue(last.ends());
  }

  @Test
  void aCancelledAttemptCancelsTheTaskWhateverIsLeft() {
    assertEquals(TaskStatus.CANCELLED, policy.decide(AttemptOutcome.CANCELLED, true, counters(0, 3, 0), BACKOFF).status());
  }

  @Test
  void everyDecisionIsAMoveTheStateMachineAllows() {
    for (AttemptOutcome o : AttemptOutcome.values()) {
      for (boolean retryable : new boolean[] {true, false}) {
        for (int retries = 0; retries <= 2; retries++) {
          for (int lost = 0; lost <= 3; lost++) {
            TaskStatus next = policy.decide(o, retryable, counters(retries, 2, lost), BACKOFF).status();
            assertTrue(TaskStatus.RUNNING.canMoveTo(next), o + " -> " + next);
          }
        }
      }
    }
  }
}
