package dev.kiln.common.metrics;

import java.time.Duration;
import java.util.Arrays;

/**
 * The histogram buckets of Kiln's timers, chosen for what each one measures, instead of
 * Micrometer's percentile histogram (about 95 buckets per series, most of them never hit):
 * each set spans what its figure really takes here, a few per decade, so {@code histogram_quantile}
 * reads p50/p95/p99 to within a bucket and a queue costs ~15 series per timer, not ~95.
 */
final class Buckets {
  private Buckets() {}

  /** Submit to claim: milliseconds when a slot is free, up to an hour when a queue backs up. */
  static final Duration[] WAIT = seconds(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600);
  /** An attempt: a debug task in milliseconds, an image in seconds, a 3D model in minutes (model3d's timeout is 10 min). */
  static final Duration[] RUN = seconds(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800);
  /** A claim to the worker's acceptance: one event-bus round trip (~0.1-2 ms), seconds only when a worker stalls. */
  static final Duration[] DISPATCH = seconds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5);
  /** The leader's work on one heartbeat: microseconds; a millisecond is already a fleet too large for one leader. */
  static final Duration[] HEARTBEAT = seconds(0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05);
  /** A scheduled instant to its task: a tick (under a second) on time, minutes to an hour when caught up after downtime. */
  static final Duration[] SCHEDULE_LAG = seconds(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600);

  private static Duration[] seconds(double... s) {
    return Arrays.stream(s).mapToObj(x -> Duration.ofNanos(Math.round(x * 1e9))).toArray(Duration[]::new);
  }
}
