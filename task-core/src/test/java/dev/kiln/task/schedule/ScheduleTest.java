package dev.kiln.task.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The next-fire computation (cron-utils in a time zone) with fixed clocks: boundaries, zones,
 * both daylight-saving changes, and the expressions and zones that are refused.
 */
class ScheduleTest {
  private static Schedule cron(String expression, String zone) {
    JsonObject c = new JsonObject().put("cron_expression", expression);
    if (zone != null) c.put("timezone", zone);
    return Schedule.of(SchedulerType.CRON, c);
  }

  /** The next {@code n} instants strictly after {@code from}, each found from the one before. */
  private static List<String> walk(Schedule s, String from, int n) {
    List<String> out = new ArrayList<>();
    Instant t = Instant.parse(from);
    for (int i = 0; i < n; i++) {
      t = s.next(t).orElseThrow();
      out.add(t.toString());
    }
    return out;
  }

  @Test
  void theSeedsDailyCronFiresAtMidnightUtcAndAnInstantOnABoundaryIsNotItsOwnNext() {
    Schedule s = cron("0 0 * * *", null);
    assertEquals(new JsonObject().put("cron_expression", "0 0 * * *").put("timezone", "UTC"), s.config(), "the zone is named");
    assertEquals(List.of("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"), walk(s, "2026-03-01T12:34:56Z", 2));
    assertEquals("2026-03-02T00:00:00Z", s.next(Instant.parse("2026-03-01T00:00:00Z")).orElseThrow().toString(),
        "strictly after: the boundary itself has fired");
    assertEquals("2026-03-01T00:00:00Z", s.last(Instant.parse("2026-03-01T00:00:00.001Z")).orElseThrow().toString());
    assertEquals(List.of("2026-03-01T12:35:00Z", "2026-03-01T12:36:00Z"), walk(cron("* * * * *", null), "2026-03-01T12:34:56Z", 2));
    assertEquals(List.of("2026-03-01T12:45:00Z", "2026-03-01T13:00:00Z"), walk(cron("*/15 * * * *", null), "2026-03-01T12:34:56Z", 2));
  }

  @Test
  void aZoneMovesTheInstantsAndWeekdaysNamesAndSundayAsSevenAreTaken() {
    assertEquals(List.of("2026-01-14T23:00:00Z"), walk(cron("0 0 * * *", "Europe/Paris"), "2026-01-14T12:00:00Z", 1));
    assertEquals(List.of("2026-01-15T03:30:00Z"), walk(cron("0 9 * * *", "Asia/Kolkata"), "2026-01-14T12:00:00Z", 1));
    // 2026-01-16 is a Friday; MON-FRI skips the weekend
    assertEquals(List.of("2026-01-16T14:00:00Z", "2026-01-19T14:00:00Z"),
        walk(cron("0 9 * * MON-FRI", "America/New_York"), "2026-01-15T15:00:00Z", 2));
    assertEquals(List.of("2026-01-18T00:00:00Z"), walk(cron("0 0 * * 7", null), "2026-01-15T00:00:00Z", 1));
    // day-of-month and day-of-week both restricted: either matches (Vixie cron's rule)
    assertEquals(List.of("2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z"),
        walk(cron("0 0 1 * 1", null), "2026-01-26T12:00:00Z", 3));
    assertEquals(List.of("2028-02-29T00:00:00Z"), walk(cron("0 0 29 2 *", null), "2026-03-01T00:00:00Z", 1), "leap days only");
  }

  @Test
  void springForwardSkipsATimeThatDoesNotExistThatDay() {
    // America/New_York, 2026-03-08: 02:00 EST becomes 03:00 EDT
    assertEquals(List.of("2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z"),
        walk(cron("30 2 * * *", "America/New_York"), "2026-03-07T00:00:00Z", 2), "02:30 is not fired on the 8th");
    assertEquals(List.of("2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"),
        walk(cron("0 * * * *", "America/New_York"), "2026-03-08T05:30:00Z", 3), "01:00 EST, then 03:00 EDT: the hour is 60 minutes on");
    // a daily job outside the gap keeps its local time: 09:00 is 14:00Z before, 13:00Z after
    assertEquals(List.of("2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z"),
        walk(cron("0 9 * * *", "America/New_York"), "2026-03-07T00:00:00Z", 2));
  }

  @Test
  void fallBackFiresARepeatedDailyTimeOnceAndAnHourlyJobInBothPasses() {
    // America/New_York, 2026-11-01: 02:00 EDT becomes 01:00 EST, so 01:00-01:59 happens twice
    assertEquals(List.of("2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"),
        walk(cron("30 1 * * *", "America/New_York"), "2026-10-31T12:00:00Z", 2), "01:30 once, at its first (EDT) pass");
    assertEquals(List.of("2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z"),
        walk(cron("0 * * * *", "America/New_York"), "2026-11-01T04:30:00Z", 3), "01:00 EDT, 01:00 EST, 02:00 EST: every real hour");
    // Europe/Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET
    assertEquals(List.of("2026-10-25T00:00:00Z", "2026-10-26T01:00:00Z"),
        walk(cron("0 2 * * *", "Europe/Berlin"), "2026-10-24T12:00:00Z", 2), "02:00 CEST only, then 02:00 CET the next day");
  }

  @Test
  void aDateFiresOnceAtItsInstantKeptToTheMillisecond() {
    Schedule s = Schedule.of(SchedulerType.DATE, new JsonObject().put("run_at", "2026-05-01T09:00:00.123456+02:00"));
    assertEquals(new JsonObject().put("run_at", "2026-05-01T07:00:00.123Z"), s.config());
    assertEquals("2026-05-01T07:00:00.123Z", s.next(Instant.parse("2026-05-01T07:00:00Z")).orElseThrow().toString());
    assertTrue(s.next(Instant.parse("2026-05-01T07:00:00.123Z")).isEmpty(), "and never again");
    assertEquals("2026-05-01T07:00:00.123Z", Schedule.first(s, Instant.parse("2026-04-01T00:00:00Z")).orElseThrow().toString());
    InvalidSchedule past = assertThrows(InvalidSchedule.class, () -> Schedule.first(s, Instant.parse("2026-05-01T07:00:00.123Z")));
    assertEquals(InvalidSchedule.RUN_AT_IN_PAST, past.code());
    assertTrue(Schedule.of(SchedulerType.MANUAL, new JsonObject()).next(Instant.EPOCH).isEmpty());
  }

  @Test
  void badSchedulesAreRefusedWithTheirCode() {
    Map<JsonObject, String> cron = Map.ofEntries(
        Map.entry(new JsonObject().put("cron_expression", "61 * * * *"), InvalidSchedule.INVALID_CRON_EXPRESSION),
        Map.entry(new JsonObject().put("cron_expression", "* * * *"), InvalidSchedule.INVALID_CRON_EXPRESSION),
        Map.entry(new JsonObject().put("cron_expression", "0 0 * * * *"), InvalidSchedule.INVALID_CRON_EXPRESSION),
        Map.entry(new JsonObject().put("cron_expression", "@daily"), InvalidSchedule.INVALID_CRON_EXPRESSION),
        Map.entry(new JsonObject().put("cron_expression", "0 0 L * *"), InvalidSchedule.INVALID_CRON_EXPRESSION),
        Map.entry(new JsonObject().put("cron_expression", "0 0 ? * *"), InvalidSchedule.INVALID_CRON_EXPRESSION),
        Map.entry(new JsonObject().put("cron_expression", "a b c d e"), InvalidSchedule.INVALID_CRON_EXPRESSION),
        Map.entry(new JsonObject().put("cron_expression", "0 0 31 2 *"), InvalidSchedule.INVALID_CRON_EXPRESSION),
        Map.entry(new JsonObject().put("cron_expression", "'; DROP TABLE tasks; --"), InvalidSchedule.INVALID_CRON_EXPRESSION),
        Map.entry(new JsonObject().put("cron_expression", ""), InvalidSchedule.INVALID_SCHEDULE_CONFIG),
        Map.entry(new JsonObject().put("cron_expression", 5), InvalidSchedule.INVALID_SCHEDULE_CONFIG),
        Map.entry(new JsonObject(), InvalidSchedule.INVALID_SCHEDULE_CONFIG),
        Map.entry(new JsonObject().put("cron_expression", "0 0 * * *").put("when", "now"), InvalidSchedule.INVALID_SCHEDULE_CONFIG),
        Map.entry(new JsonObject().put("cron_expression", "0 0 * * *").put("timezone", "Mars/Olympus"), InvalidSchedule.UNKNOWN_TIME_ZONE),
        Map.entry(new JsonObject().put("cron_expression", "0 0 * * *").put("timezone", "+02:00"), InvalidSchedule.UNKNOWN_TIME_ZONE),
        Map.entry(new JsonObject().put("cron_expression", "0 0 * * *").put("timezone", "europe/paris"), InvalidSchedule.UNKNOWN_TIME_ZONE),
        Map.entry(new JsonObject().put("cron_expression", "0 0 * * *").put("timezone", 1), InvalidSchedule.INVALID_SCHEDULE_CONFIG));
    cron.forEach((config, code) -> assertEquals(code,
        assertThrows(InvalidSchedule.class, () -> Schedule.of(SchedulerType.CRON, config)).code(), config.encode()));
    Map<JsonObject, String> date = Map.of(
        new JsonObject(), InvalidSchedule.INVALID_SCHEDULE_CONFIG,
        new JsonObject().put("run_at", "2026-05-01T09:00:00"), InvalidSchedule.INVALID_SCHEDULE_CONFIG,
        new JsonObject().put("run_at", "tomorrow"), InvalidSchedule.INVALID_SCHEDULE_CONFIG,
        new JsonObject().put("run_at", 1767225600), InvalidSchedule.INVALID_SCHEDULE_CONFIG,
        new JsonObject().put("run_at", "2026-05-01T09:00:00Z").put("timezone", "UTC"), InvalidSchedule.INVALID_SCHEDULE_CONFIG);
    date.forEach((config, code) -> assertEquals(code,
        assertThrows(InvalidSchedule.class, () -> Schedule.of(SchedulerType.DATE, config)).code(), config.encode()));
    assertEquals(InvalidSchedule.INVALID_SCHEDULE_CONFIG, assertThrows(InvalidSchedule.class,
        () -> Schedule.of(SchedulerType.MANUAL, new JsonObject().put("cron_expression", "0 0 * * *"))).code());
  }
}
