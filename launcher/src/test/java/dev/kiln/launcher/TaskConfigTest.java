package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Task configs (seed 001, issue 12) on a whole node: a DATE fires once at its instant, a MANUAL
 * one runs by hand, a config's max_retries, timeout and priority are its tasks', its runs are
 * listed newest first with the worker's stack trace, deleting it keeps them, a change reaches the
 * leader within a second, and bad configs are refused. (CRON on a real schedule, kill -9 around a
 * fire and misfires after downtime: {@code ScheduleIT}, {@code MisfireTest}.)
 */
class TaskConfigTest {
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of());
  private static final String CONFIGS = "/api/v1/admin/task-configs";

  private static JsonObject create(JsonObject body) throws Exception {
    Api.Reply r = kiln.api().post(CONFIGS, body.encode());
    assertEquals(201, r.status(), r.body());
    assertEquals(CONFIGS + "/" + r.json().getLong("id"), r.header("Location"));
    return r.json();
  }

  private static JsonObject config(long id) throws Exception {
    Api.Reply r = kiln.api().get(CONFIGS + "/" + id);
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  private static JsonObject run(long id) throws Exception {
    Api.Reply r = kiln.api().post(CONFIGS + "/" + id + "/run", "");
    assertEquals(202, r.status(), r.body());
    return r.json();
  }

  /** The config's tasks as Postgres holds them, by instant (runs by hand last). */
  private static List<Map<String, Object>> tasksOf(Sql sql, long id) throws Exception {
    return sql.rows("SELECT id::text AS id, (extract(epoch FROM scheduled_for) * 1000)::bigint AS scheduled_ms, "
        + "(extract(epoch FROM created_at) * 1000)::bigint AS created_ms FROM tasks WHERE config_id = ? "
        + "ORDER BY scheduled_for NULLS LAST, created_at", id);
  }

  private static JsonObject date(String name, Instant runAt) {
    return new JsonObject().put("name", name).put("task_type", "debug.noop").put("scheduler_type", "DATE")
        .put("schedule_config", new JsonObject().put("run_at", runAt.toString()));
  }

  @Test
  void aDateConfigFiresOnceAtItsInstantAndThenIsInactive() throws Exception {
    Instant runAt = Instant.now().plusMillis(2_000).truncatedTo(ChronoUnit.MILLIS);
    JsonObject made = create(date("once", runAt).put("priority", 3));
    long id = made.getLong("id");
    assertEquals("DATE", made.getString("scheduler_type"));
    assertEquals(runAt.toString(), made.getString("next_run_at"));
    assertTrue(made.getBoolean("is_scheduled"));
    assertEquals("fire_once", made.getString("misfire_policy"));
    try (Sql sql = kiln.sql()) {
      assertEquals(0, tasksOf(sql, id).size(), "nothing before its instant");
      List<Map<String, Object>> fired = Eventually.await("the DATE fired", Duration.ofSeconds(15), () -> {
        List<Map<String, Object>> t = tasksOf(sql, id);
        return t.isEmpty() ? null : t;
      });
      long scheduled = (Long) fired.get(0).get("scheduled_ms");
      long created = (Long) fired.get(0).get("created_ms");
      assertEquals(runAt.toEpochMilli(), scheduled, "the task stands for its instant");
      assertTrue(created >= runAt.toEpochMilli(), "not before it");
      System.out.printf("task configs: a DATE config's task was created %d ms after its instant%n", created - scheduled);
      assertTrue(created - scheduled < 2_000, "and soon after it: " + (created - scheduled) + " ms");

      JsonObject after = Eventually.await("inactive", Duration.ofSeconds(5), () -> {
        JsonObject c = config(id);
        return c.getBoolean("is_active") ? null : c;
      });
      assertFalse(after.getBoolean("is_scheduled"));
      assertNull(after.getString("next_run_at"));
      assertNotNull(after.getString("last_run_at"));
      String taskId = (String) fired.get(0).get("id");
      JsonObject task = kiln.api().awaitStatus(taskId, "completed", Duration.ofSeconds(20));
      assertEquals(id, task.getLong("config_id"));
      assertEquals(runAt.toString(), task.getString("scheduled_for"));
      assertEquals("task-config", task.getString("channel"));
      assertEquals(3, task.getInteger("priority"));

      // Once: a later DATE fires, so the scheduler has ticked past the first one again, which has still one task.
      JsonObject later = create(date("later", Instant.now().plusMillis(500).truncatedTo(ChronoUnit.MILLIS)));
      Eventually.await("the later DATE fired", Duration.ofSeconds(15), () -> !tasksOf(sql, later.getLong("id")).isEmpty());
      assertEquals(1, tasksOf(sql, id).size(), "a DATE fires once");
      JsonArray runs = Eventually.await("its run listed", Duration.ofSeconds(10), () -> {
        JsonArray items = kiln.api().get(CONFIGS + "/" + id + "/executions").json().getJsonArray("items");
        return items.isEmpty() ? null : items;
      });
      JsonObject run = runs.getJsonObject(0);
      assertEquals(taskId, run.getString("task_id"));
      assertEquals(runAt.toString(), run.getString("scheduled_for"));
      assertTrue(run.getBoolean("is_success"));
      assertEquals(1, run.getInteger("attempt"));
    }
  }

  @Test
  void aManualConfigRunsByHandOnlyEvenInactiveAndItsRunsArePagedNewestFirst() throws Exception {
    JsonObject made = create(new JsonObject().put("name", "by hand").put("task_type", "debug.sleep")
        .put("scheduler_type", "MANUAL").put("parameters", new JsonObject().put("duration_ms", 20)).put("is_active", false));
    long id = made.getLong("id");
    assertFalse(made.getBoolean("is_scheduled"));
    assertNull(made.getString("next_run_at"));
    assertEquals(new JsonObject(), made.getJsonObject("schedule_config"));
    JsonObject first = run(id);
    assertEquals(id, first.getLong("config_id"));
    assertNull(first.getString("scheduled_for"), "a run by hand stands for no instant");
    assertEquals("debug.sleep", first.getString("tool_action"));
    assertEquals(20, first.getJsonObject("input").getInteger("duration_ms"));
    kiln.api().awaitStatus(first.getString("id"), "completed", Duration.ofSeconds(20));
    JsonObject second = run(id);
    kiln.api().awaitStatus(second.getString("id"), "completed", Duration.ofSeconds(20));
    assertNotNull(config(id).getString("last_run_at"));

    JsonObject page1 = kiln.api().get(CONFIGS + "/" + id + "/executions?limit=1").json();
    assertEquals(1, page1.getJsonArray("items").size());
    assertEquals(second.getString("id"), page1.getJsonArray("items").getJsonObject(0).getString("task_id"), "newest first");
    String cursor = page1.getString("next_cursor");
    assertNotNull(cursor);
    JsonObject page2 = kiln.api().get(CONFIGS + "/" + id + "/executions?limit=1&cursor=" + cursor).json();
    assertEquals(first.getString("id"), page2.getJsonArray("items").getJsonObject(0).getString("task_id"));
    assertNull(page2.getString("next_cursor"), "two runs, two pages");
    // A scheduled type runs by hand too, and an inactive CRON never by itself.
    JsonObject cron = create(new JsonObject().put("name", "yearly, off").put("task_type", "debug.noop").put("scheduler_type", "CRON")
        .put("schedule_config", new JsonObject().put("cron_expression", "0 0 1 1 *")).put("is_active", false));
    assertNull(cron.getString("next_run_at"));
    assertEquals(cron.getLong("id"), run(cron.getLong("id")).getLong("config_id"));
  }

  @Test
  void aConfigsMaxRetriesTimeoutAndPriorityAreItsTasksAndItsRunsKeepTheStackTrace() throws Exception {
    // debug's queue: job_timeout 60 s, max_retries 3. The config's own: a 1 s timeout, no retry.
    long strict = create(new JsonObject().put("name", "strict").put("task_type", "debug.sleep").put("scheduler_type", "MANUAL")
        .put("parameters", new JsonObject().put("duration_ms", 30_000)).put("timeout_seconds", 1).put("max_retries", 0)
        .put("priority", 7)).getLong("id");
    JsonObject t = run(strict);
    assertEquals(0, t.getInteger("max_retries"));
    assertEquals(7, t.getInteger("priority"));
    long started = System.nanoTime();
    JsonObject ended = kiln.api().awaitEnded(t.getString("id"), Duration.ofSeconds(15));
    assertEquals("timeout", ended.getString("status"), "timed out at 1 s and not retried");
    assertTrue(System.nanoTime() - started < Duration.ofSeconds(10).toNanos(), "long before the queue's 60 s");

    long retried = create(new JsonObject().put("name", "retried").put("task_type", "debug.sleep").put("scheduler_type", "MANUAL")
        .put("parameters", new JsonObject().put("duration_ms", 10).put("fail_attempts", 1)).put("max_retries", 1)).getLong("id");
    JsonObject r = run(retried);
    assertEquals(1, r.getInteger("max_retries"));
    kiln.api().awaitStatus(r.getString("id"), "completed", Duration.ofSeconds(20));
    long once = create(new JsonObject().put("name", "never retried").put("task_type", "debug.sleep").put("scheduler_type", "MANUAL")
        .put("parameters", new JsonObject().put("duration_ms", 10).put("fail_attempts", 1)).put("max_retries", 0)).getLong("id");
    assertEquals("failed", kiln.api().awaitEnded(run(once).getString("id"), Duration.ofSeconds(20)).getString("status"),
        "the queue would have retried it 3 times");

    JsonArray runs = kiln.api().get(CONFIGS + "/" + retried + "/executions").json().getJsonArray("items");
    assertEquals(2, runs.size());
    JsonObject ok = runs.getJsonObject(0);
    JsonObject failed = runs.getJsonObject(1);
    assertEquals(2, ok.getInteger("attempt"));
    assertTrue(ok.getBoolean("is_success"));
    assertEquals(2, ok.getJsonObject("result").getInteger("attempt"));
    assertTrue(ok.getDouble("duration_seconds") >= 0);
    assertEquals(1, failed.getInteger("attempt"));
    assertFalse(failed.getBoolean("is_success"));
    assertEquals("debug.sleep failed attempt 1 on purpose", failed.getString("error_message"));
    assertTrue(failed.getString("error_traceback").contains("IllegalStateException")
        && failed.getString("error_traceback").contains("at dev.kiln.worker.debug.DebugSleep"), failed.getString("error_traceback"));
    JsonArray timedOut = kiln.api().get(CONFIGS + "/" + strict + "/executions").json().getJsonArray("items");
    assertEquals("timeout", timedOut.getJsonObject(0).getString("outcome"));
    for (JsonObject reported : List.of(ok, failed)) {
      assertEquals("debug", reported.getString("provider_name"), "the worker's report names its provider");
      assertEquals(0.0, reported.getDouble("gpu_seconds"), "an in-process stand-in holds no GPU");
      assertTrue(reported.containsKey("provider_job_id") && reported.containsKey("logs"));
    }
    assertNull(timedOut.getJsonObject(0).getString("provider_name"), "the dispatcher ended it: nothing was reported");
  }

  @Test
  void aConfigsInputImageIsResolvedWhenSavedAndEachOfItsTasksGetsItsOwnInputAsset() throws Exception {
    Api.Reply file = kiln.api().post("/api/v1/files", "image/png", dev.kiln.testing.Pngs.blank(32, 24));
    assertEquals(201, file.status(), file.body());
    long id = create(new JsonObject().put("name", "nightly upscale").put("task_type", "image.hires").put("scheduler_type", "MANUAL")
        .put("parameters", new JsonObject().put("source_image", file.json().getString("id")).put("scale", 2))).getLong("id");
    for (int i = 0; i < 2; i++) {
      String task = run(id).getString("id");
      JsonObject done = kiln.api().awaitEnded(task, Duration.ofSeconds(30));
      assertEquals("completed", done.getString("status"), done.encode());
      JsonArray assets = kiln.api().get("/api/v1/tasks/" + task + "/assets").json().getJsonArray("items");
      assertEquals(1, assets.stream().filter(a -> "input".equals(((JsonObject) a).getString("asset_type"))).count(), assets.encode());
      assertTrue(assets.stream().anyMatch(a -> "output".equals(((JsonObject) a).getString("asset_type"))
          && ((JsonObject) a).getInteger("width") == 64), "upscaled from the uploaded file: " + assets.encode());
    }
  }

  @Test
  void deletingAConfigKeepsItsTasksAndTheirExecutions() throws Exception {
    long id = create(new JsonObject().put("name", "doomed").put("task_type", "debug.noop").put("scheduler_type", "MANUAL")).getLong("id");
    String task = run(id).getString("id");
    kiln.api().awaitStatus(task, "completed", Duration.ofSeconds(20));
    assertEquals(204, kiln.api().send("DELETE", CONFIGS + "/" + id, "").status());
    assertEquals(404, kiln.api().get(CONFIGS + "/" + id).status());
    assertEquals(404, kiln.api().post(CONFIGS + "/" + id + "/run", "").status());
    assertEquals(404, kiln.api().get(CONFIGS + "/" + id + "/executions").status());
    assertEquals(404, kiln.api().send("DELETE", CONFIGS + "/" + id, "").status());
    JsonObject kept = kiln.api().task(task);
    assertEquals("completed", kept.getString("status"), "its task stays");
    assertNull(kept.getValue("config_id"));
    try (Sql sql = kiln.sql()) {
      assertEquals(1, sql.count("SELECT count(*) FROM task_executions WHERE task_id = ?::uuid AND config_id IS NULL AND is_success", task),
          "its execution stays, without the config (ON DELETE SET NULL)");
    }
  }

  @Test
  void aChangeReachesTheLeaderWithinASecond() throws Exception {
    long id = create(new JsonObject().put("name", "yearly").put("task_type", "debug.noop").put("scheduler_type", "CRON")
        .put("schedule_config", new JsonObject().put("cron_expression", "0 0 1 1 *").put("timezone", "Europe/Paris"))).getLong("id");
    JsonObject yearly = config(id);
    assertEquals("Europe/Paris", yearly.getJsonObject("schedule_config").getString("timezone"));
    assertTrue(yearly.getString("next_run_at").endsWith("-12-31T23:00:00Z"), yearly.getString("next_run_at"));
    Instant runAt = Instant.now().plusMillis(1_000).truncatedTo(ChronoUnit.MILLIS);
    Api.Reply changed = kiln.api().send("PUT", CONFIGS + "/" + id, new JsonObject().put("scheduler_type", "DATE")
        .put("schedule_config", new JsonObject().put("run_at", runAt.toString())).encode());
    assertEquals(200, changed.status(), changed.body());
    assertEquals(runAt.toString(), changed.json().getString("next_run_at"));
    try (Sql sql = kiln.sql()) {
      List<Map<String, Object>> fired = Eventually.await("fired by its new schedule", Duration.ofSeconds(10), () -> {
        List<Map<String, Object>> t = tasksOf(sql, id);
        return t.isEmpty() ? null : t;
      });
      long late = (Long) fired.get(0).get("created_ms") - runAt.toEpochMilli();
      // The leader's full reread is once a minute: only the change notice can make this.
      assertTrue(late < 1_000, "fired " + late + " ms after its new instant");
    }
  }

  @Test
  void badConfigsAreRefusedWithTheirCodeAndChangeNothing() throws Exception {
    long id = create(new JsonObject().put("name", "keeper").put("task_type", "debug.noop").put("scheduler_type", "CRON")
        .put("schedule_config", new JsonObject().put("cron_expression", "0 0 * * *"))).getLong("id");
    String past = Instant.now().minusSeconds(60).toString();
    String cron = "{\"name\":\"x\",\"task_type\":\"debug.noop\",\"scheduler_type\":\"CRON\",\"schedule_config\":";
    Map<String, String> post = Map.of(
        cron + "{\"cron_expression\":\"61 * * * *\"}}", "invalid_cron_expression",
        cron + "{\"cron_expression\":\"0 0 31 2 *\"}}", "invalid_cron_expression",
        cron + "{\"cron_expression\":\"0 0 * * *\",\"timezone\":\"Mars/Olympus\"}}", "unknown_time_zone",
        "{\"name\":\"x\",\"task_type\":\"debug.noop\",\"scheduler_type\":\"DATE\",\"schedule_config\":{\"run_at\":\"" + past + "\"}}",
        "run_at_in_past",
        "{\"name\":\"x\",\"task_type\":\"debug.sleep\",\"scheduler_type\":\"MANUAL\",\"parameters\":{\"duration_ms\":\"long\"}}",
        "invalid_input",
        "{\"name\":\"x\",\"task_type\":\"image.upscale\",\"scheduler_type\":\"MANUAL\"}", "unknown_tool_action",
        "{\"name\":\"x\",\"task_type\":\"debug.noop\",\"scheduler_type\":\"HOURLY\"}", "invalid_field");
    Map<String, String> put = Map.of(
        "{\"schedule_config\":{\"cron_expression\":\"* * * *\"}}", "invalid_cron_expression",
        "{\"schedule_config\":{\"cron_expression\":\"0 0 * * *\",\"timezone\":\"UTC+2\"}}", "unknown_time_zone",
        "{\"scheduler_type\":\"DATE\",\"schedule_config\":{\"run_at\":\"" + past + "\"}}", "run_at_in_past",
        "{\"scheduler_type\":\"DATE\"}", "invalid_schedule_config",
        "{\"task_type\":\"debug.sleep\",\"parameters\":{\"hang\":\"yes\"}}", "invalid_input",
        "{\"name\":\"renamed\",\"parameters\":{\"unknown\":1}}", "invalid_input");
    try (Sql sql = kiln.sql()) {
      List<Map<String, Object>> before = sql.rows("SELECT * FROM task_configs ORDER BY id");
      for (Map.Entry<String, String> b : post.entrySet()) {
        Api.Reply r = kiln.api().post(CONFIGS, b.getKey());
        assertEquals(422, r.status(), b.getKey() + " -> " + r.body());
        assertEquals(b.getValue(), r.json().getString("code"), b.getKey());
        assertTrue(r.contentType().startsWith("application/problem+json"));
      }
      for (Map.Entry<String, String> b : put.entrySet()) {
        Api.Reply r = kiln.api().send("PUT", CONFIGS + "/" + id, b.getKey());
        assertEquals(422, r.status(), b.getKey() + " -> " + r.body());
        assertEquals(b.getValue(), r.json().getString("code"), b.getKey());
      }
      assertEquals(before, sql.rows("SELECT * FROM task_configs ORDER BY id"), "nothing was saved");
      assertEquals(0, tasksOf(sql, id).size());
    }
  }

  @Test
  void theMetricsCountFiresByConfigAndOutcomeTheLagAndConfigsByType() throws Exception {
    long id = create(date("measured", Instant.now().plusMillis(300).truncatedTo(ChronoUnit.MILLIS))).getLong("id");
    try (Sql sql = kiln.sql()) {
      Eventually.await("fired", Duration.ofSeconds(15), () -> !tasksOf(sql, id).isEmpty());
    }
    String metrics = Eventually.await("counted", Duration.ofSeconds(5), () -> {
      String m = kiln.api().get("/metrics").body();
      return m.contains("kiln_schedule_fires_total{config=\"" + id + "\",outcome=\"on_time\"} 1.0") ? m : null;
    });
    assertTrue(metrics.contains("kiln_schedule_lag_seconds_bucket"), "the lag histogram");
    assertTrue(metrics.matches("(?s).*kiln_task_configs\\{scheduler_type=\"DATE\"} [1-9].*"), "configs by type");
    assertTrue(metrics.contains("kiln_task_configs{scheduler_type=\"MANUAL\"}"));
  }
}
