package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.config.KilnConfig;
import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import dev.kiln.testing.TestStores;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The misfire policies after downtime (issue 12, item 3): configs saved on an HTTP node while no
 * dispatcher leads, whose next instants then lie five hours back (what PostgreSQL holds after a
 * leader was down that long: {@code next_run_at} that long ago), and then a dispatcher that takes
 * the lead. fire_once makes up for all the missed instants with one run, skip drops them, and
 * both go on with the schedule; a DATE missed follows its policy and ends either way.
 */
class MisfireTest {
  private static final String CONFIGS = "/api/v1/admin/task-configs";

  private static Map<String, String> env(String db, int port) throws Exception {
    return new HashMap<>(Map.of("DATABASE_URL", db, "REDIS_URL", TestStores.redisUrl(), "KILN_ADMIN_KEY", KilnNode.ADMIN_KEY,
        "KILN_HTTP_PORT", String.valueOf(port), "KILN_DATA_DIR", Files.createTempDirectory("kiln-misfire").toString(),
        "KILN_DEBUG_EXECUTORS", "true"));
  }

  private static long create(Api api, JsonObject body) throws Exception {
    Api.Reply r = api.post(CONFIGS, body.encode());
    assertEquals(201, r.status(), r.body());
    return r.json().getLong("id");
  }

  private static JsonObject hourly(String name, String policy) {
    return new JsonObject().put("name", name).put("task_type", "debug.noop").put("scheduler_type", "CRON")
        .put("schedule_config", new JsonObject().put("cron_expression", "0 * * * *")).put("misfire_policy", policy);
  }

  private static JsonObject date(String name, String policy) {
    return new JsonObject().put("name", name).put("task_type", "debug.noop").put("scheduler_type", "DATE")
        .put("schedule_config", new JsonObject().put("run_at", Instant.now().plusSeconds(3600).toString())).put("misfire_policy", policy);
  }

  @Test
  void afterALeaderWasDownAcrossSeveralInstantsFireOnceMakesUpOnceAndSkipDropsThem() throws Exception {
    String db = TestStores.freshDatabase();
    int port = EmbeddedStores.freePort();
    Node http = Node.start(KilnConfig.from(env(db, port)), EnumSet.of(Role.HTTP), false).toCompletionStage().toCompletableFuture()
        .get(60, TimeUnit.SECONDS);
    Node dispatcher = null;
    try (Sql sql = new Sql(db)) {
      Api api = new Api(port, KilnNode.ADMIN_KEY);
      long once = create(api, hourly("hourly, fire_once", "fire_once"));
      long skip = create(api, hourly("hourly, skip", "skip"));
      long dateOnce = create(api, date("a date, fire_once", "fire_once"));
      long dateSkip = create(api, date("a date, skip", "skip"));
      // The leader was down for five hours: five hourly instants, and the dates, went by unfired.
      sql.update("UPDATE task_configs SET next_run_at = date_trunc('hour', now()) - interval '4 hours' WHERE id IN (?, ?)", once, skip);
      sql.update("UPDATE task_configs SET next_run_at = date_trunc('second', now()) - interval '2 hours', "
          + "schedule_config = jsonb_build_object('run_at', to_json(date_trunc('second', now()) - interval '2 hours') #>> '{}') "
          + "WHERE id IN (?, ?)", dateOnce, dateSkip);

      dispatcher = Node.start(KilnConfig.from(env(db, EmbeddedStores.freePort())), EnumSet.of(Role.DISPATCHER), false)
          .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      Eventually.await("every config looked at by the new leader", Duration.ofSeconds(20), () -> sql.count(
          "SELECT count(*) FROM task_configs WHERE id IN (?, ?, ?, ?) AND (next_run_at > now() OR NOT is_active)",
          once, skip, dateOnce, dateSkip) == 4);

      // fire_once: one run, for the latest instant that went by; then on with the schedule.
      assertEquals(1, sql.count("SELECT count(*) FROM tasks WHERE config_id = ?", once));
      assertEquals(1, sql.count("SELECT count(*) FROM tasks WHERE config_id = ? AND scheduled_for = date_trunc('hour', created_at)", once),
          "the task stands for the latest missed instant");
      assertEquals(1, sql.count("SELECT count(*) FROM task_configs WHERE id = ? AND next_run_at = date_trunc('hour', now()) "
          + "+ interval '1 hour'", once), "next: the coming hour");
      // skip: none of the missed instants runs (only one less than the grace, 60 s, late could: the test ran at :00).
      assertEquals(0, sql.count("SELECT count(*) FROM tasks WHERE config_id = ? AND created_at - scheduled_for > interval '60 seconds'",
          skip), "skip runs no missed instant");
      assertTrue(sql.count("SELECT count(*) FROM tasks WHERE config_id = ?", skip) <= 1);
      assertEquals(1, sql.count("SELECT count(*) FROM task_configs WHERE id = ? AND is_active AND next_run_at = "
          + "date_trunc('hour', now()) + interval '1 hour'", skip), "and goes on with the schedule");
      // A DATE missed: fire_once runs it late, skip does not; both are over.
      assertEquals(1, sql.count("SELECT count(*) FROM tasks t JOIN task_configs c ON c.id = t.config_id WHERE c.id = ? "
          + "AND t.scheduled_for = (c.schedule_config ->> 'run_at')::timestamptz", dateOnce));
      assertEquals(0, sql.count("SELECT count(*) FROM tasks WHERE config_id = ?", dateSkip));
      for (long d : new long[] {dateOnce, dateSkip}) {
        JsonObject c = api.get(CONFIGS + "/" + d).json();
        assertFalse(c.getBoolean("is_active"), c.encode());
        assertNull(c.getString("next_run_at"));
      }
      String metrics = api.get("/metrics").body();
      // Each outcome of a known config is there at 0 from the start: one of these two must have moved.
      assertTrue(metrics.matches("(?s).*kiln_schedule_fires_total\\{config=\"" + once + "\",outcome=\"(caught_up|on_time)\"} [1-9].*"), "counted");
      assertTrue(metrics.matches("(?s).*kiln_schedule_fires_total\\{config=\"" + skip + "\",outcome=\"skipped\"} [45]\\.0.*"),
          "the instants skip dropped are counted");
    } finally {
      if (dispatcher != null) dispatcher.close().get(60, TimeUnit.SECONDS);
      http.close().get(60, TimeUnit.SECONDS);
    }
  }
}
