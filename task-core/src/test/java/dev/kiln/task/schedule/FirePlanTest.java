package dev.kiln.task.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The misfire policies with fixed clocks: a fire on time, one late by a fail-over, downtime across instants. */
class FirePlanTest {
  private static final Duration GRACE = Duration.ofSeconds(60);
  private static final Schedule HOURLY = Schedule.of(SchedulerType.CRON, new JsonObject().put("cron_expression", "0 * * * *"));

  private static Instant at(String t) {
    return Instant.parse(t);
  }

  private static List<String> strings(List<Instant> instants) {
    return instants.stream().map(Instant::toString).toList();
  }

  @Test
  void nothingIsDueBeforeTheInstant() {
    FirePlan p = FirePlan.of(HOURLY, at("2026-03-01T13:00:00Z"), at("2026-03-01T12:59:59.999Z"), GRACE, MisfirePolicy.FIRE_ONCE);
    assertTrue(p.nothingDue());
    assertEquals(at("2026-03-01T13:00:00Z"), p.nextRunAt());
  }

  @Test
  void anInstantFiresOnceAtItsTimeOrLateWithinTheGraceWhateverThePolicy() {
    for (MisfirePolicy policy : MisfirePolicy.values()) {
      FirePlan now = FirePlan.of(HOURLY, at("2026-03-01T13:00:00Z"), at("2026-03-01T13:00:00Z"), GRACE, policy);
      assertEquals(List.of("2026-03-01T13:00:00Z"), strings(now.fires()), policy.value());
      assertEquals(at("2026-03-01T14:00:00Z"), now.nextRunAt());
      // a leader killed at the instant, its successor leading 40 s later: the fire lost in the crash is made
      FirePlan late = FirePlan.of(HOURLY, at("2026-03-01T13:00:00Z"), at("2026-03-01T13:00:40Z"), GRACE, policy);
      assertEquals(List.of("2026-03-01T13:00:00Z"), strings(late.fires()), policy.value());
      assertEquals(0, late.skipped());
      assertNull(late.caughtUp());
    }
  }

  @Test
  void afterHoursDownFireOnceMakesUpOnceForTheLatestMissedInstantAndSkipDropsThemAll() {
    Instant next = at("2026-03-01T09:00:00Z"); // the leader went down before 09:00; it is 13:20 now
    Instant now = at("2026-03-01T13:20:00Z");
    FirePlan once = FirePlan.of(HOURLY, next, now, GRACE, MisfirePolicy.FIRE_ONCE);
    assertEquals(List.of("2026-03-01T13:00:00Z"), strings(once.fires()), "one run, for the latest missed instant");
    assertEquals(at("2026-03-01T13:00:00Z"), once.caughtUp());
    assertEquals(4, once.skipped(), "09:00 to 12:00 are made up by it");
    assertEquals(at("2026-03-01T14:00:00Z"), once.nextRunAt());

    FirePlan skip = FirePlan.of(HOURLY, next, now, GRACE, MisfirePolicy.SKIP);
    assertEquals(List.of(), skip.fires());
    assertEquals(5, skip.skipped());
    assertEquals(at("2026-03-01T14:00:00Z"), skip.nextRunAt(), "the schedule goes on");
  }

  @Test
  void whenTheLeaderIsBackJustAfterAnInstantThatOneFiresAndTheOlderOnesFollowThePolicy() {
    Instant next = at("2026-03-01T10:00:00Z");
    Instant now = at("2026-03-01T13:00:30Z"); // 13:00 is 30 s late, within the grace
    for (MisfirePolicy policy : MisfirePolicy.values()) {
      FirePlan p = FirePlan.of(HOURLY, next, now, GRACE, policy);
      assertEquals(List.of("2026-03-01T13:00:00Z"), strings(p.fires()), policy.value());
      assertNull(p.caughtUp(), "the on-time run is the catch-up");
      assertEquals(3, p.skipped());
    }
  }

  @Test
  void aMinuteCronDownForAYearIsWalkedInBoundedSteps() {
    Schedule minutely = Schedule.of(SchedulerType.CRON, new JsonObject().put("cron_expression", "* * * * *"));
    long t0 = System.nanoTime();
    FirePlan p = FirePlan.of(minutely, at("2025-03-01T00:00:00Z"), at("2026-03-01T00:00:30Z"), GRACE, MisfirePolicy.FIRE_ONCE);
    assertEquals(List.of("2026-03-01T00:00:00Z"), strings(p.fires()), "on time: 30 s late");
    assertEquals(at("2026-03-01T00:01:00Z"), p.nextRunAt());
    assertEquals(FirePlan.MAX_WALK, p.skipped(), "counted up to the bound");
    assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos(), "not a year of minutes one by one");
  }

  @Test
  void aDateFiresOnceThenHasNoNextAndAMissedOneFollowsThePolicy() {
    Schedule date = Schedule.of(SchedulerType.DATE, new JsonObject().put("run_at", "2026-03-01T13:00:00Z"));
    FirePlan onTime = FirePlan.of(date, at("2026-03-01T13:00:00Z"), at("2026-03-01T13:00:00.050Z"), GRACE, MisfirePolicy.SKIP);
    assertEquals(List.of("2026-03-01T13:00:00Z"), strings(onTime.fires()));
    assertNull(onTime.nextRunAt(), "a DATE has no next: the config becomes inactive");
    FirePlan missedOnce = FirePlan.of(date, at("2026-03-01T13:00:00Z"), at("2026-03-02T08:00:00Z"), GRACE, MisfirePolicy.FIRE_ONCE);
    assertEquals(List.of("2026-03-01T13:00:00Z"), strings(missedOnce.fires()));
    assertNull(missedOnce.nextRunAt());
    FirePlan missedSkip = FirePlan.of(date, at("2026-03-01T13:00:00Z"), at("2026-03-02T08:00:00Z"), GRACE, MisfirePolicy.SKIP);
    assertEquals(List.of(), missedSkip.fires());
    assertEquals(1, missedSkip.skipped());
    assertNull(missedSkip.nextRunAt());
  }

  @Test
  void aFallBackDayFiresARepeatedTimeOnceEvenWhenTheFireComesInTheRepeatedHour() {
    Schedule s = Schedule.of(SchedulerType.CRON, new JsonObject().put("cron_expression", "30 1 * * *")
        .put("timezone", "America/New_York"));
    // 01:30 EDT (05:30Z) fired 10 s late, or 70 minutes late (in the repeated hour, 01:40 EST): either way the next
    // is the 2nd, not 01:30 EST the same night
    for (String now : List.of("2026-11-01T05:30:10Z", "2026-11-01T06:40:00Z")) {
      FirePlan p = FirePlan.of(s, at("2026-11-01T05:30:00Z"), at(now), GRACE, MisfirePolicy.FIRE_ONCE);
      assertEquals(List.of("2026-11-01T05:30:00Z"), strings(p.fires()), now);
      assertEquals(at("2026-11-02T06:30:00Z"), p.nextRunAt(), now);
    }
  }
}
