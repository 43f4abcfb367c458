package dev.kiln.task.store;

import dev.kiln.common.time.Iso;
import dev.kiln.task.ToolAction;
import dev.kiln.task.schedule.MisfirePolicy;
import dev.kiln.task.schedule.Schedule;
import dev.kiln.task.schedule.SchedulerType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A task config (seed 001 {@code TaskConfig}): a template of a task, its schedule, and what it
 * sets on each task it makes (max_retries, timeout, priority), as its {@code task_configs} row
 * holds it. Read with {@link #COLUMNS}.
 *
 * @param maxRetries null: the queue's
 * @param timeoutSeconds null: the queue's job_timeout
 * @param apiClientId the admin client that made it, whose tasks its tasks are
 * @param inputAssets the input images its parameters name, as input asset rows (resolved when it was saved)
 * @param nextRunAt the next instant it fires at; null when it has none (MANUAL, or a DATE that fired)
 */
public record TaskConfig(long id, String name, String taskType, SchedulerType schedulerType, JsonObject parameters,
                         JsonObject scheduleConfig, Integer maxRetries, Integer timeoutSeconds, int priority, boolean isActive,
                         MisfirePolicy misfirePolicy, String apiClientId, JsonArray inputAssets, OffsetDateTime nextRunAt,
                         OffsetDateTime lastRunAt, OffsetDateTime createdAt, OffsetDateTime updatedAt) {
  /** Tasks a config makes are on this channel (seed 000's channels: openapi, web-ui, batch). */
  public static final String CHANNEL = "task-config";

  static final String COLUMNS = "id, name, task_type, scheduler_type, parameters, schedule_config, max_retries, timeout_seconds, "
      + "priority, is_active, misfire_policy, api_client_id, input_assets, next_run_at, last_run_at, created_at, updated_at";

  static TaskConfig of(Row r) {
    return new TaskConfig(r.getLong("id"), r.getString("name"), r.getString("task_type"),
        SchedulerType.valueOf(r.getString("scheduler_type")), (JsonObject) r.getJson("parameters"),
        (JsonObject) r.getJson("schedule_config"), r.getInteger("max_retries"), r.getInteger("timeout_seconds"),
        r.getInteger("priority"), r.getBoolean("is_active"), MisfirePolicy.of(r.getString("misfire_policy")).orElseThrow(),
        r.getString("api_client_id"), (JsonArray) r.getJson("input_assets"), r.getOffsetDateTime("next_run_at"),
        r.getOffsetDateTime("last_run_at"), r.getOffsetDateTime("created_at"), r.getOffsetDateTime("updated_at"));
  }

  /** The fields an admin sets; {@code nextRunAt} is computed from the schedule when it is saved. */
  public record Values(String name, String taskType, SchedulerType schedulerType, JsonObject parameters, JsonObject scheduleConfig,
                       Integer maxRetries, Integer timeoutSeconds, int priority, boolean isActive, MisfirePolicy misfirePolicy,
                       JsonArray inputAssets, OffsetDateTime nextRunAt) {}

  public Values values() {
    return new Values(name, taskType, schedulerType, parameters, scheduleConfig, maxRetries, timeoutSeconds, priority, isActive,
        misfirePolicy, inputAssets, nextRunAt);
  }

  public Schedule schedule() {
    return Schedule.of(schedulerType, scheduleConfig);
  }

  /** The seed's {@code is_scheduled}: the dispatcher fires it by itself (active, CRON or DATE, an instant to come). */
  public boolean scheduled() {
    return isActive && schedulerType.scheduled() && nextRunAt != null;
  }

  /** The task it makes for {@code scheduledFor} (null: a run by hand): its input, its own retries, timeout and priority. */
  NewTask task(OffsetDateTime scheduledFor) {
    ToolAction action = ToolAction.of(taskType).orElseThrow(() -> new IllegalStateException(
        "task config " + id + " names tool_action " + taskType + ", which this Kiln does not know"));
    JsonArray assets = new JsonArray();
    String source = null;
    String reference = null;
    for (Object o : inputAssets) {
      JsonObject a = ((JsonObject) o).copy().put("id", UUID.randomUUID().toString()); // each task's input assets are its own rows
      String field = a.getJsonObject("metadata", new JsonObject()).getString("field");
      if ("source_image".equals(field)) source = a.getString("object_key");
      if ("reference_image".equals(field)) reference = a.getString("object_key");
      assets.add(a);
    }
    Object mode = parameters.getValue("mode");
    Object config = parameters.getValue("config");
    return new NewTask(UUID.randomUUID(), apiClientId, null, CHANNEL, action.name(), action.queue(), priority, parameters, null,
        null, 0, null, mode instanceof String m ? m : null, source, reference, config instanceof JsonObject c ? c : null, assets,
        null, new NewTask.Template(id, scheduledFor, maxRetries, timeoutSeconds == null ? null : timeoutSeconds * 1000));
  }

  /** As the admin API shows it. */
  public JsonObject json() {
    return new JsonObject()
        .put("id", id)
        .put("name", name)
        .put("task_type", taskType)
        .put("scheduler_type", schedulerType.name())
        .put("parameters", parameters)
        .put("schedule_config", scheduleConfig)
        .put("max_retries", maxRetries)
        .put("timeout_seconds", timeoutSeconds)
        .put("priority", priority)
        .put("is_active", isActive)
        .put("misfire_policy", misfirePolicy.value())
        .put("is_scheduled", scheduled())
        .put("next_run_at", Iso.of(nextRunAt))
        .put("last_run_at", Iso.of(lastRunAt))
        .put("created_at", Iso.of(createdAt))
        .put("updated_at", Iso.of(updatedAt));
  }
}
