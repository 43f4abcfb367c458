package dev.kiln.task.schedule;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.Set;

/**
 * A task config's schedule, read from its {@code scheduler_type} and {@code schedule_config}: the
 * instants it fires at. Cron is cron-utils' (five-field Unix syntax), evaluated in the config's
 * time zone with java.time's rules, so daylight-saving changes are the library's: a local time
 * that does not exist that day (spring forward) is not fired that day, and one that happens twice
 * (fall back) fires once, at its first occurrence, unless the expression names every minute of
 * the repeated hour (then both passes fire, being different instants).
 */
public sealed interface Schedule {
  /** The zone of a cron schedule that names none. */
  String DEFAULT_TIME_ZONE = "UTC";
  int MAX_EXPRESSION_LENGTH = 200;

  /** The next instant strictly after {@code after}; empty when there is none. */
  Optional<Instant> next(Instant after);

  /** The latest instant strictly before {@code before}; empty when there is none. */
  Optional<Instant> last(Instant before);

  /** The schedule_config as stored and shown: its fields normalised (a cron's zone named, a date in UTC). */
  JsonObject config();

  /** Reads a schedule; {@link InvalidSchedule} says what is wrong, with a stable code. */
  static Schedule of(SchedulerType type, JsonObject config) {
    return switch (type) {
      case CRON -> Cron.of(config);
      case DATE -> Date.of(config);
      case MANUAL -> {
        if (!config.isEmpty()) throw invalid("a MANUAL config's schedule_config is {}");
        yield new Manual();
      }
    };
  }

  /** Five-field Unix cron ({@code 0 0 * * *}) in an IANA time zone. */
  record Cron(String expression, ZoneId zone, ExecutionTime time) implements Schedule {
    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    /** Where "does it ever fire" is asked from: a five-field cron has no year, so one that ever fires does after it. */
    private static final Instant EVER = Instant.parse("2000-01-01T00:00:00Z");

    static Cron of(JsonObject config) {
      only(config, Set.of("cron_expression", "timezone"));
      Object e = config.getValue("cron_expression");
      if (e == null) throw invalid("a CRON config's schedule_config needs cron_expression");
      if (!(e instanceof String expression) || expression.isBlank() || expression.length() > MAX_EXPRESSION_LENGTH) {
        throw invalid("cron_expression must be a string of 1 to " + MAX_EXPRESSION_LENGTH + " characters");
      }
      Object z = config.getValue("timezone", DEFAULT_TIME_ZONE);
      if (!(z instanceof String zoneName)) throw invalid("timezone must be a string");
      if (!ZoneId.getAvailableZoneIds().contains(zoneName)) {
        throw new InvalidSchedule(InvalidSchedule.UNKNOWN_TIME_ZONE, "unknown time zone '" + zoneName
            + "': use an IANA name such as UTC or Europe/Paris");
      }
      ExecutionTime time;
      try {
        time = ExecutionTime.forCron(PARSER.parse(expression.trim()).validate());
      } catch (RuntimeException ex) { // cron-utils refuses with several kinds; none may become a 500
        throw new InvalidSchedule(InvalidSchedule.INVALID_CRON_EXPRESSION, "cron_expression '" + expression
            + "' is not five-field cron (minute hour day-of-month month day-of-week): " + ex.getMessage());
      }
      Cron cron = new Cron(expression.trim(), ZoneId.of(zoneName), time);
      if (cron.next(EVER).isEmpty()) {
        throw new InvalidSchedule(InvalidSchedule.INVALID_CRON_EXPRESSION, "cron_expression '" + expression + "' never fires");
      }
      return cron;
    }

    @Override
    public Optional<Instant> next(Instant after) {
      return time.nextExecution(after.atZone(zone)).map(t -> t.toInstant());
    }

    @Override
    public Optional<Instant> last(Instant before) {
      return time.lastExecution(before.atZone(zone)).map(t -> t.toInstant());
    }

    @Override
    public JsonObject config() {
      return new JsonObject().put("cron_expression", expression).put("timezone", zone.getId());
    }
  }

  /** Once, at {@code run_at} (ISO-8601 with an offset; kept to the millisecond, as the API writes times). */
  record Date(Instant runAt) implements Schedule {
    static Date of(JsonObject config) {
      only(config, Set.of("run_at"));
      Object v = config.getValue("run_at");
      if (v == null) throw invalid("a DATE config's schedule_config needs run_at");
      if (!(v instanceof String s)) throw invalid("run_at must be an ISO-8601 time with an offset, e.g. 2026-01-31T09:00:00Z");
      try {
        return new Date(OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant().truncatedTo(ChronoUnit.MILLIS));
      } catch (DateTimeParseException e) {
        throw invalid("run_at must be an ISO-8601 time with an offset, e.g. 2026-01-31T09:00:00Z");
      }
    }

    @Override
    public Optional<Instant> next(Instant after) {
      return runAt.isAfter(after) ? Optional.of(runAt) : Optional.empty();
    }

    @Override
    public Optional<Instant> last(Instant before) {
      return runAt.isBefore(before) ? Optional.of(runAt) : Optional.empty();
    }

    @Override
    public JsonObject config() {
      return new JsonObject().put("run_at", runAt.toString());
    }
  }

  /** Never by itself. */
  record Manual() implements Schedule {
    @Override
    public Optional<Instant> next(Instant after) {
      return Optional.empty();
    }

    @Override
    public Optional<Instant> last(Instant before) {
      return Optional.empty();
    }

    @Override
    public JsonObject config() {
      return new JsonObject();
    }
  }

  /**
   * The first instant of a schedule saved at {@code now}: strictly after it. A DATE whose run_at
   * is not after {@code now} is refused ({@code run_at_in_past}); MANUAL has none.
   */
  static Optional<Instant> first(Schedule s, Instant now) {
    if (s instanceof Date d && !d.runAt().isAfter(now)) {
      throw new InvalidSchedule(InvalidSchedule.RUN_AT_IN_PAST, "run_at " + d.runAt() + " is not in the future");
    }
    return s.next(now);
  }

  private static void only(JsonObject config, Set<String> fields) {
    for (String k : config.fieldNames()) {
      if (!fields.contains(k)) throw invalid("unknown schedule_config field '" + k + "' (known: " + String.join(", ", fields) + ")");
    }
  }

  private static InvalidSchedule invalid(String message) {
    return new InvalidSchedule(InvalidSchedule.INVALID_SCHEDULE_CONFIG, message);
  }
}
