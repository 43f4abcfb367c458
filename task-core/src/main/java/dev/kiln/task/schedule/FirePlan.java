package dev.kiln.task.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a config's fire does when a leading dispatcher looks at it at {@code now}: which due
 * instants get a task, how many missed ones are dropped, and the next instant. The one place the
 * misfire policy is applied.
 *
 * <p>Due are the schedule's instants from {@code next_run_at} up to {@code now}. Those at most
 * {@code grace} late fire, each one (a fire delayed by a fail-over, say). Those later than that
 * were missed: under {@link MisfirePolicy#FIRE_ONCE} the latest of them fires if no less-late
 * instant does (one catch-up run for all of them), under {@link MisfirePolicy#SKIP} none does.
 * The next instant is found by walking on from the last due one, not from {@code now}, so a time
 * a daylight-saving change repeats is not fired twice.
 *
 * @param onTime the due instants at most the grace late, oldest first
 * @param caughtUp the missed instant fired under fire_once, or null
 * @param skipped missed instants that get no task (counted up to {@link #MAX_WALK})
 * @param nextRunAt the next instant after {@code now}; null when the schedule has no more (a DATE that fired)
 */
public record FirePlan(List<Instant> onTime, Instant caughtUp, int skipped, Instant nextRunAt) {
  /** Missed instants walked one by one at most; past that the walk jumps to the last one (a long outage). */
  public static final int MAX_WALK = 1_000; // ~30 ms of cron-utils on the leader's event loop, once per config and outage

  /** Every instant that gets a task, oldest first. */
  public List<Instant> fires() {
    if (caughtUp == null) return onTime;
    List<Instant> all = new ArrayList<>(onTime.size() + 1);
    all.add(caughtUp);
    all.addAll(onTime);
    return all;
  }

  public boolean nothingDue() {
    return onTime.isEmpty() && caughtUp == null && skipped == 0;
  }

  public static FirePlan of(Schedule schedule, Instant nextRunAt, Instant now, Duration grace, MisfirePolicy policy) {
    if (nextRunAt == null || nextRunAt.isAfter(now)) return new FirePlan(List.of(), null, 0, nextRunAt);
    Instant cutoff = now.minus(grace);
    Instant t = nextRunAt;
    Instant lastMissed = null;
    int missed = 0;
    while (t != null && t.isBefore(cutoff) && missed < MAX_WALK) {
      lastMissed = t;
      missed++;
      t = schedule.next(t).orElse(null);
    }
    if (t != null && t.isBefore(cutoff)) {
      // Too many to walk: the last missed one is the schedule's latest before the cutoff.
      lastMissed = schedule.last(cutoff).orElse(lastMissed);
      t = schedule.next(lastMissed).orElse(null);
    }
    List<Instant> onTime = new ArrayList<>();
    while (t != null && !t.isAfter(now) && onTime.size() < MAX_WALK) {
      onTime.add(t);
      t = schedule.next(t).orElse(null);
    }
    Instant next = t == null || t.isAfter(now) ? t : schedule.next(now).orElse(null);
    Instant caughtUp = policy == MisfirePolicy.FIRE_ONCE && onTime.isEmpty() ? lastMissed : null;
    return new FirePlan(List.copyOf(onTime), caughtUp, caughtUp == null ? missed : missed - 1, next);
  }

  /** For a reader that only wants to know whether anything is due. */
  public static boolean due(Instant nextRunAt, Instant now) {
    return Optional.ofNullable(nextRunAt).map(n -> !n.isAfter(now)).orElse(false);
  }
}
