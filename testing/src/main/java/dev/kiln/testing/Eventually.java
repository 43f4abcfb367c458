package dev.kiln.testing;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Waiting for a condition with a deadline: never a fixed sleep standing in for one. */
public final class Eventually {
  private Eventually() {}

  public static <T> T await(String what, Duration deadline, Callable<T> probe) throws Exception {
    long end = System.nanoTime() + deadline.toNanos();
    long pause = 10;
    Throwable last = null;
    while (System.nanoTime() < end) {
      try {
        T v = probe.call();
        if (v != null && !Boolean.FALSE.equals(v)) return v;
      } catch (AssertionError | Exception e) {
        last = e;
      }
      Thread.sleep(pause); // polling interval between probes, not a stand-in for the condition
      pause = Math.min(200, pause * 2);
    }
    throw new AssertionError("timed out after " + deadline + " waiting for " + what
        + (last == null ? "" : " (last: " + last + ")"), last);
  }
}
