package dev.kiln.http.admin;

import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Json;
import dev.kiln.task.ToolAction;
import dev.kiln.task.schedule.InvalidSchedule;
import dev.kiln.task.schedule.MisfirePolicy;
import dev.kiln.task.schedule.Schedule;
import dev.kiln.task.schedule.SchedulerType;
import dev.kiln.task.store.TaskConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Set;

/**
 * A task config as an admin writes it ({@code POST} whole, {@code PUT} any of its fields), read
 * strictly: known fields, a known tool_action and parameters its JSON schema accepts, a schedule
 * that can run (a cron expression cron-utils reads, a known time zone, a run_at to come). A bad
 * one is a 422 with a stable code and nothing is saved. Its input images are resolved after
 * ({@code InputImages}); {@link #values} then gives the row.
 */
record TaskConfigRequest(String name, ToolAction action, SchedulerType schedulerType, JsonObject parameters, Schedule schedule,
                         Integer maxRetries, Integer timeoutSeconds, int priority, boolean isActive, MisfirePolicy misfirePolicy,
                         OffsetDateTime nextRunAt, boolean inputChanged) {
  static final Set<String> FIELDS = Set.of("name", "task_type", "scheduler_type", "parameters", "schedule_config", "max_retries",
      "timeout_seconds", "priority", "is_active", "misfire_policy");
  static final int NAME_LIMIT = 200;
  /** As POST /tasks bounds a task's priority. */
  static final int PRIORITY_LIMIT = 1000;
  static final int TIMEOUT_SECONDS_MAX = AdminRoutes.JOB_TIMEOUT_MAX / 1000;

  /** A new config from a whole body; {@code now} is when it is saved. */
  static TaskConfigRequest create(JsonObject body, boolean debugActions, Instant now) {
    String name = Json.requiredString(body, "name", NAME_LIMIT);
    ToolAction action = action(Json.requiredString(body, "task_type", 64), debugActions);
    SchedulerType type = type(body);
    JsonObject parameters = parameters(action, Json.optionalObject(body, "parameters"));
    Schedule schedule = schedule(type, Json.optionalObject(body, "schedule_config"));
    boolean active = bool(body, "is_active", true);
    return new TaskConfigRequest(name, action, type, parameters, schedule, nullableInt(body, "max_retries", 0,
        AdminRoutes.MAX_RETRIES_LIMIT), nullableInt(body, "timeout_seconds", 1, TIMEOUT_SECONDS_MAX),
        Json.optionalInt(body, "priority", 0, -PRIORITY_LIMIT, PRIORITY_LIMIT), active, misfire(body, MisfirePolicy.DEFAULT),
        first(schedule, active, now), true);
  }

  /**
   * {@code old} with the fields the body gives (at least one). Its schedule is read again when
   * scheduler_type or schedule_config is given (a new scheduler_type without a schedule_config
   * means {}), and its next instant computed again from {@code now} when the schedule changed or
   * the config is activated (the instants it had missed are dropped); otherwise a config keeps its
   * next instant, so one that is due still fires. An inactive config has none.
   */
  static TaskConfigRequest change(TaskConfig old, JsonObject body, boolean debugActions, Instant now) {
    if (body.isEmpty()) throw ApiException.invalid("missing_field", "name at least one of " + FIELDS);
    String name = body.containsKey("name") ? Json.requiredString(body, "name", NAME_LIMIT) : old.name();
    boolean inputChanged = body.containsKey("task_type") || body.containsKey("parameters");
    ToolAction action = body.containsKey("task_type")
        ? action(Json.requiredString(body, "task_type", 64), debugActions)
        : ToolAction.of(old.taskType()).orElseThrow(() -> new IllegalStateException("unknown tool_action " + old.taskType()));
    JsonObject parameters = inputChanged
        ? parameters(action, body.containsKey("parameters") ? Json.optionalObject(body, "parameters") : old.parameters())
        : old.parameters();
    SchedulerType type = body.containsKey("scheduler_type") ? type(body) : old.schedulerType();
    boolean scheduleGiven = body.containsKey("scheduler_type") || body.containsKey("schedule_config");
    JsonObject scheduleConfig = body.containsKey("schedule_config") ? Json.optionalObject(body, "schedule_config")
        : body.containsKey("scheduler_type") ? new JsonObject() : old.scheduleConfig();
    Schedule schedule = scheduleGiven ? schedule(type, scheduleConfig) : old.schedule();
    boolean active = body.containsKey("is_active") ? bool(body, "is_active", true) : old.isActive();
    boolean scheduleChanged = scheduleGiven && !(type == old.schedulerType() && schedule.config().equals(old.scheduleConfig()));
    OffsetDateTime next;
    if (scheduleChanged || (active && !old.isActive())) {
      OffsetDateTime first = first(schedule, true, now); // a run_at set, or activated, is one to come
      next = active ? first : null;
    } else {
      next = active ? old.nextRunAt() : null;
    }
    return new TaskConfigRequest(name, action, type, parameters, schedule,
        body.containsKey("max_retries") ? nullableInt(body, "max_retries", 0, AdminRoutes.MAX_RETRIES_LIMIT) : old.maxRetries(),
        body.containsKey("timeout_seconds") ? nullableInt(body, "timeout_seconds", 1, TIMEOUT_SECONDS_MAX) : old.timeoutSeconds(),
        body.containsKey("priority") ? Json.optionalInt(body, "priority", 0, -PRIORITY_LIMIT, PRIORITY_LIMIT) : old.priority(),
        active, body.containsKey("misfire_policy") ? misfire(body, old.misfirePolicy()) : old.misfirePolicy(), next, inputChanged);
  }

  /** The row, with the input images resolved for its parameters. */
  TaskConfig.Values values(JsonArray inputAssets) {
    return new TaskConfig.Values(name, action.name(), schedulerType, parameters, schedule.config(), maxRetries, timeoutSeconds,
        priority, isActive, misfirePolicy, inputAssets, nextRunAt);
  }

  private static ToolAction action(String name, boolean debugActions) {
    return ToolAction.of(name).filter(a -> debugActions || !a.debug())
        .orElseThrow(() -> ApiException.invalid("unknown_tool_action", "unknown task_type (tool_action) '" + name + "'"));
  }

  private static SchedulerType type(JsonObject body) {
    Object v = body.getValue("scheduler_type");
    if (v == null) throw ApiException.invalid("missing_field", "'scheduler_type' is required: CRON, DATE or MANUAL");
    return (v instanceof String s ? SchedulerType.of(s) : java.util.Optional.<SchedulerType>empty())
        .orElseThrow(() -> ApiException.invalid("invalid_field", "'scheduler_type' is CRON, DATE or MANUAL"));
  }

  /** The task's input, checked against the action's JSON schema as POST /tasks checks it. */
  private static JsonObject parameters(ToolAction action, JsonObject parameters) {
    action.check(parameters).ifPresent(problem -> {
      throw ApiException.invalid("invalid_input", problem.replaceFirst("^input", "parameters"));
    });
    return parameters;
  }

  private static Schedule schedule(SchedulerType type, JsonObject config) {
    try {
      return Schedule.of(type, config);
    } catch (InvalidSchedule e) {
      throw ApiException.invalid(e.code(), e.getMessage());
    }
  }

  private static OffsetDateTime first(Schedule schedule, boolean active, Instant now) {
    try {
      Instant first = Schedule.first(schedule, now).orElse(null);
      return !active || first == null ? null : first.atOffset(ZoneOffset.UTC);
    } catch (InvalidSchedule e) {
      throw ApiException.invalid(e.code(), e.getMessage());
    }
  }

  private static MisfirePolicy misfire(JsonObject body, MisfirePolicy dflt) {
    Object v = body.getValue("misfire_policy");
    if (v == null) return dflt;
    return (v instanceof String s ? MisfirePolicy.of(s) : java.util.Optional.<MisfirePolicy>empty())
        .orElseThrow(() -> ApiException.invalid("invalid_field", "'misfire_policy' is fire_once or skip"));
  }

  private static boolean bool(JsonObject body, String field, boolean dflt) {
    Object v = body.getValue(field);
    if (v == null) return dflt;
    if (!(v instanceof Boolean b)) throw ApiException.invalid("invalid_field", "'" + field + "' must be true or false");
    return b;
  }

  /** Null (or absent): the queue's own value. */
  private static Integer nullableInt(JsonObject body, String field, int min, int max) {
    return body.getValue(field) == null ? null : Json.optionalInt(body, field, 0, min, max);
  }
}
