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
 *   <li>hand-off failed (the worker never had it): back to the queue at once, no retry spent.
 * </ul>
 */
public final class RetryPolicy {
  /** Attempts lost with their worker are re-queued this many times, then the task fails worker_lost. */
  public static final int DEFAULT_MAX_LOST = 3;

  /** A task's counters as they were while the attempt ran. */
  public record Counters(int retryCount, int maxRetries, int lostCount) {}

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
  private final DoubleSupplier random;

  public RetryPolicy(int maxLost, DoubleSupplier random) {
    if (maxLost < 0) throw new IllegalArgumentException("maxLost must be >= 0");
    this.maxLost = maxLost;
    this.random = random;
  }

  public static RetryPolicy standard() {
    return new RetryPolicy(DEFAULT_MAX_LOST, Math::random);
  }

  public int maxLost() {
    return maxLost;
  }

  public Decision decide(AttemptOutcome outcome, boolean retryable, Counters c, Backoff backoff) {
    return switch (outcome) {
      case COMPLETED -> new Decision(TaskStatus.COMPLETED, false, false, null);
      case CANCELLED -> new Decision(TaskStatus.CANCELLED, false, false, null);
      case WORKER_LOST -> c.lostCount() < maxLost ? requeue(c, true) : new Decision(TaskStatus.FAILED, false, true, null);
      case HANDOFF_FAILED -> requeue(c, false);
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

  private Decision retry(Counters c, Backoff backoff) {
    return new Decision(TaskStatus.RETRYING, true, false, backoff.delayMs(c.retryCount() + 1, random.getAsDouble()));
  }
}
