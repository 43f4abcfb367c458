package dev.kiln.task;

import java.util.function.DoubleSupplier;

/**
 * What becomes of a task when one of its attempts ends (DESIGN §4): the one place this is
 * decided. The core's settlement reads the task's counters under lock, asks here, and writes the
 * decision; nothing else chooses a task's next status after an attempt.
 *
 * <ul>
 *   <li>completed, cancelled: the task ends so;
 *   <li>a retryable failure or a timeout, while {@code retry_count < max_retries}: retrying after
 *       the queue's {@link Backoff}, one retry spent; once they are spent: failed, or timeout;
 *   <li>a permanent failure: failed at once;
 *   <li>worker lost: back to the queue at once without spending a retry, at most
 *       {@link #DEFAULT_MAX_LOST} times, then failed ({@code worker_lost});
 *   <li>hand-off failed (the worker never had it): no retry spent; the first time back to the
 *       queue at once, then after a delay that doubles from {@link #HANDOFF_BASE_DELAY_MS} to
 *       {@link #HANDOFF_MAX_DELAY_MS}, and after {@link #DEFAULT_MAX_HANDOFFS} of them failed
 *       ({@code handoff_failed}): a worker that takes hand-offs and never runs them cannot keep a
 *       task circling.
 * </ul>
 */
public final class RetryPolicy {
  /** Attempts lost with their worker are re-queued this many times, then the task fails worker_lost. */
  public static final int DEFAULT_MAX_LOST = 3;
  /** Failed hand-offs a task may have; the next fails it. */
  public static final int DEFAULT_MAX_HANDOFFS = 10;
  /** The wait after a task's second failed hand-off; it doubles with each one after. */
  public static final long HANDOFF_BASE_DELAY_MS = 250;
  public static final long HANDOFF_MAX_DELAY_MS = 10_000;

  /** A task's counters as they were while the attempt ran. */
  public record Counters(int retryCount, int maxRetries, int lostCount, int handoffCount) {}

  /**
   * The task's next status; {@code retryDelayMs} is how long until it may be claimed again (null:
   * at once, for a pending task; 0: at once, for a retrying one). {@code spendsRetry} and
   * {@code lost} say which counter goes up.
   */
  public record Decision(TaskStatus status, boolean spendsRetry, boolean lost, Long retryDelayMs) {
    public boolean ends() {
      return status.terminal();
    }
  }

  private final int maxLost;
  private final int maxHandoffs;
  private final DoubleSupplier random;

  public RetryPolicy(int maxLost, int maxHandoffs, DoubleSupplier random) {
    if (maxLost < 0) throw new IllegalArgumentException("maxLost must be >= 0");
    if (maxHandoffs < 1) throw new IllegalArgumentException("maxHandoffs must be >= 1");
    this.maxLost = maxLost;
    this.maxHandoffs = maxHandoffs;
    this.random = random;
  }

  public static RetryPolicy standard() {
    return new RetryPolicy(DEFAULT_MAX_LOST, DEFAULT_MAX_HANDOFFS, Math::random);
  }

  public int maxLost() {
    return maxLost;
  }

  public Decision decide(AttemptOutcome outcome, boolean retryable, Counters c, Backoff backoff) {
    return switch (outcome) {
      case COMPLETED -> new Decision(TaskStatus.COMPLETED, false, false, null);
      case CANCELLED -> new Decision(TaskStatus.CANCELLED, false, false, null);
      case WORKER_LOST -> c.lostCount() < maxLost ? requeue(c, true) : new Decision(TaskStatus.FAILED, false, true, null);
      case HANDOFF_FAILED -> handoffFailed(c);
      case TIMEOUT -> c.retryCount() < c.maxRetries() ? retry(c, backoff) : new Decision(TaskStatus.TIMEOUT, false, false, null);
      case FAILED -> retryable && c.retryCount() < c.maxRetries() ? retry(c, backoff) : new Decision(TaskStatus.FAILED, false, false, null);
    };
  }

  /** Back in line now, no retry spent; a task that has retried before keeps "retrying". */
  private static Decision requeue(Counters c, boolean lost) {
    return c.retryCount() > 0
        ? new Decision(TaskStatus.RETRYING, false, lost, 0L)
        : new Decision(TaskStatus.PENDING, false, lost, null);
  }

  /** {@code handoffCount} is the task's failed hand-offs before this one. */
  private Decision handoffFailed(Counters c) {
    int n = c.handoffCount() + 1;
    if (n >= maxHandoffs) return new Decision(TaskStatus.FAILED, false, false, null);
    if (n == 1) return requeue(c, false);
    long delay = Math.min(HANDOFF_MAX_DELAY_MS, HANDOFF_BASE_DELAY_MS << Math.min(n - 2, 20));
    return new Decision(TaskStatus.RETRYING, false, false, delay);
  }

  private Decision retry(Counters c, Backoff backoff) {
    return new Decision(TaskStatus.RETRYING, true, false, backoff.delayMs(c.retryCount() + 1, random.getAsDouble()));
  }
}
