package dev.kiln.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void retryNWaitsBaseTimesTwoToTheNMinusOneCappedAtMax() {
    Backoff b = new Backoff(200, 5_000);
    assertEquals(200, b.ceilingMs(1));
    assertEquals(400, b.ceilingMs(2));
    assertEquals(3_200, b.ceilingMs(5));
    assertEquals(5_000, b.ceilingMs(6));
    assertEquals(5_000, b.ceilingMs(1_000), "no overflow however many retries");
  }

  @Test
  void theJitterSpansTheUpperHalf() {
    Backoff b = new Backoff(1_000, 60_000);
    assertEquals(2_000, b.delayMs(2, 0.0) * 2, "random 0 gives d/2");
    assertEquals(2_000, b.delayMs(2, 1.0), "random 1 gives d");
    for (int i = 0; i < 1_000; i++) {
      long d = b.delayMs(3, Math.random());
      assertTrue(d >= 2_000 && d <= 4_000, "in [d/2, d]: " + d);
    }
  }

  @Test
  void aMaxBelowTheBaseIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Backoff(10, 5));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(10, 50).ceilingMs(0));
  }
}
