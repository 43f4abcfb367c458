package dev.kiln.task;

/**
 * Exponential backoff with jitter, the one shape of every "try again later" in Kiln (task
 * retries, webhook deliveries): retry {@code n} (1-based) waits {@code d = min(max, base·2^(n−1))},
 * jittered uniformly into {@code [d/2, d]} so that many failures at once do not retry at once.
 */
public record Backoff(long baseMs, long maxMs) {
  public Backoff {
    if (baseMs < 0 || maxMs < baseMs) throw new IllegalArgumentException("backoff needs 0 <= base <= max, got " + baseMs + ", " + maxMs);
  }

  /** The un-jittered delay {@code d} before retry {@code n}. */
  public long ceilingMs(int n) {
    if (n < 1) throw new IllegalArgumentException("retries are counted from 1, got " + n);
    int doublings = Math.min(n - 1, 62);
    long d = baseMs;
    for (int i = 0; i < doublings && d < maxMs; i++) d *= 2;
    return Math.min(maxMs, d);
  }

  /** The delay before retry {@code n}, given a uniform random number in [0, 1). */
  public long delayMs(int n, double random) {
    long d = ceilingMs(n);
    return Math.round(d / 2.0 + random * d / 2.0);
  }
}
