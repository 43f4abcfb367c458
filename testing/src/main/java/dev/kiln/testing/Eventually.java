package dev.kiln.testing;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Waiting for a condition with a deadline: never a fixed sleep standing in for one. */
public final class Eventually {
  private Eventually() {}

  /** The probe's first answer that is neither null nor false; an AssertionError at the deadline. */
  public static <T> T await(String what, Duration deadline, Callable<T> probe) throws Exception {
    Throwable[] last = new Throwable[1];
    T v = poll(deadline, probe, last);
    if (v != null) return v;
    throw new AssertionError("timed out after " + deadline + " waiting for " + what
        + (last[0] == null ? "" : " (last: " + last[0] + ")"), last[0]);
  }

  /**
   * The probe's first answer that is neither null nor false, or null at the deadline: for a
   * condition that may rightly not come (a fault not noticed within its length), to be measured.
   */
  public static <T> T within(Duration deadline, Callable<T> probe) throws Exception {
    return poll(deadline, probe, new Throwable[1]);
  }

  private static <T> T poll(Duration deadline, Callable<T> probe, Throwable[] last) throws Exception {
    long end = System.nanoTime() + deadline.toNanos();
    long pause = 10;
    while (System.nanoTime() < end) {
      try {
        T v = probe.call();
        if (v != null && !Boolean.FALSE.equals(v)) return v;
      } catch (AssertionError | Exception e) {
        last[0] = e;
      }
      Thread.sleep(pause); // polling interval between probes, not a stand-in for the condition
      pause = Math.min(200, pause * 2);
    }
    return null;
  }
}
