package dev.kiln.task.schedule;

/** A schedule_config Kiln cannot run, with the stable code the API answers it with (422). */
public final class InvalidSchedule extends RuntimeException {
  public static final String INVALID_SCHEDULE_CONFIG = "invalid_schedule_config";
  public static final String INVALID_CRON_EXPRESSION = "invalid_cron_expression";
  public static final String UNKNOWN_TIME_ZONE = "unknown_time_zone";
  public static final String RUN_AT_IN_PAST = "run_at_in_past";

  private final String code;

  InvalidSchedule(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
