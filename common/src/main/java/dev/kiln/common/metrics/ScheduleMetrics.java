package dev.kiln.common.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Task configs' meters (issue 12), in the node's one registry: {@code kiln_schedule_fires_total{config,outcome}}
 * (outcome {@code on_time}, {@code caught_up}, {@code skipped}, {@code failed} from the leading
 * dispatcher, {@code manual} from the HTTP node that ran one by hand), {@code kiln_schedule_lag_seconds}
 * (a scheduled instant to its task's creation, a histogram) and {@code kiln_task_configs{scheduler_type}}.
 */
public final class ScheduleMetrics {
  public static final String ON_TIME = "on_time";
  public static final String CAUGHT_UP = "caught_up";
  public static final String SKIPPED = "skipped";
  public static final String FAILED = "failed";
  public static final String MANUAL = "manual";

  private static final Map<String, Counter> FIRES = new ConcurrentHashMap<>();
  private static final Timer LAG = Timer.builder("kiln_schedule_lag_seconds").description(MetricHelp.of("kiln_schedule_lag_seconds"))
      .serviceLevelObjectives(Buckets.SCHEDULE_LAG).register(KilnMetrics.registry());

  private ScheduleMetrics() {}

  /** The leader's outcomes of a config it knows, at 0 until they happen (rate() then sees the first one). */
  public static void known(long configId) {
    for (String outcome : new String[] {ON_TIME, CAUGHT_UP, SKIPPED, FAILED}) fires(configId, outcome);
  }

  /** {@code n} instants of a config had this outcome. */
  public static void fired(long configId, String outcome, int n) {
    if (n <= 0) return;
    fires(configId, outcome).increment(n);
  }

  private static Counter fires(long configId, String outcome) {
    return FIRES.computeIfAbsent(configId + "\0" + outcome, k -> Counter.builder("kiln_schedule_fires_total")
        .description(MetricHelp.of("kiln_schedule_fires_total")).tag("config", String.valueOf(configId)).tag("outcome", outcome)
        .register(KilnMetrics.registry()));
  }

  /** From a scheduled instant to its task's creation. */
  public static void lag(Duration d) {
    LAG.record(d.isNegative() ? Duration.ZERO : d);
  }

  /** How many configs of each scheduler type there are. */
  public static void configs(String schedulerType, long n) {
    KilnMetrics.set("kiln_task_configs", Map.of("scheduler_type", schedulerType), n);
  }
}
