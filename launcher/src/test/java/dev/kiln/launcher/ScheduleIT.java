package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Task configs through a fail-over (issue 12): an HTTP node and two dispatchers as separate JVMs.
 * A CRON config fires every minute and two dozen DATE configs are due 100 ms apart around the
 * same minute boundary; the leading dispatcher is killed with -9 just before it. Every instant
 * fires exactly once, the CRON one on its boundary: those the dead leader had not committed are
 * made by the one that takes over, none twice.
 */
class ScheduleIT {
  static final int DATES = 24;
  static final long SPACING_MS = 100;
  /** The leader dies this long before the minute boundary, while the DATE instants around it come due. */
  static final long KILL_BEFORE_MS = 300;

  @RegisterExtension final ProcessCluster cluster = new ProcessCluster("schedule-it", 6750, 3);

  @Test
  void aLeaderKilledAroundFireInstantsNeitherLosesNorDuplicatesAFire() throws Exception {
    int httpPort = EmbeddedStores.freePort();
    KilnProcess http = cluster.start("http", cluster.env(0, "http", Map.of("KILN_HTTP_PORT", String.valueOf(httpPort))), "http");
    List<KilnProcess> dispatchers = new ArrayList<>();
    for (int i = 1; i <= 2; i++) dispatchers.add(cluster.start("dispatcher-" + i, cluster.env(i, "dispatcher", Map.of()), "dispatcher"));
    http.awaitUp(Duration.ofSeconds(90));
    for (KilnProcess d : dispatchers) d.awaitUp(Duration.ofSeconds(90));

    try (Sql sql = new Sql(cluster.db())) {
      int leader = Eventually.await("a leader", Duration.ofSeconds(30), () -> {
        for (int i = 0; i < 2; i++) if (dispatchers.get(i).output().contains("takes the lead")) return i;
        return null;
      });
      long epoch = sql.count("SELECT epoch FROM dispatcher_leadership");
      Api api = new Api(httpPort, KilnNode.ADMIN_KEY);

      // The next minute boundary, the one a "* * * * *" config names from now on, far enough
      // ahead to set everything up before it: when it is nearer than 8 s, the one after it.
      Instant boundary = Instant.now().truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES);
      if (Duration.between(Instant.now(), boundary).toSeconds() < 8) {
        Instant tooNear = boundary;
        Eventually.await("past a boundary too near to set up before", Duration.ofSeconds(15), () -> !Instant.now().isBefore(tooNear));
        boundary = tooNear.plus(1, ChronoUnit.MINUTES);
      }
      long cron = create(api, new JsonObject().put("name", "every minute").put("task_type", "debug.noop").put("scheduler_type", "CRON")
          .put("schedule_config", new JsonObject().put("cron_expression", "* * * * *")));
      assertEquals(boundary.toString(), api.get("/api/v1/admin/task-configs/" + cron).json().getString("next_run_at"));
      List<Long> dates = new ArrayList<>();
      List<Instant> runAts = new ArrayList<>();
      Instant first = boundary.minusMillis(DATES / 2 * SPACING_MS);
      for (int i = 0; i < DATES; i++) {
        Instant at = first.plusMillis(i * SPACING_MS);
        runAts.add(at);
        dates.add(create(api, new JsonObject().put("name", "date " + i).put("task_type", "debug.noop").put("scheduler_type", "DATE")
            .put("schedule_config", new JsonObject().put("run_at", at.toString()))));
      }

      Instant killAt = boundary.minusMillis(KILL_BEFORE_MS);
      Eventually.await("the moment to kill the leader", Duration.ofSeconds(90), () -> !Instant.now().isBefore(killAt));
      dispatchers.get(leader).kill();
      Instant killed = Instant.now();
      Eventually.await("the standby leads", Duration.ofSeconds(15), () -> sql.count("SELECT epoch FROM dispatcher_leadership") > epoch);
      double takeoverSeconds = Duration.between(killed, Instant.now()).toMillis() / 1000.0;

      Eventually.await("every DATE fired and the CRON on its boundary", Duration.ofSeconds(30), () ->
          sql.count("SELECT count(*) FROM task_configs WHERE scheduler_type = 'DATE' AND is_active") == 0
              && sql.count("SELECT count(*) FROM tasks WHERE config_id = ?", cron) >= 1);

      for (int i = 0; i < DATES; i++) {
        assertEquals(1, sql.count("SELECT count(*) FROM tasks WHERE config_id = ?", dates.get(i)), "date " + i + ": one task");
        assertEquals(1, sql.count("SELECT count(*) FROM tasks WHERE config_id = ? AND scheduled_for = ?::timestamptz",
            dates.get(i), runAts.get(i).toString()), "date " + i + ": for its instant");
      }
      assertEquals(1, sql.count("SELECT count(*) FROM tasks WHERE config_id = ? AND scheduled_for = ?::timestamptz",
          cron, boundary.toString()), "the CRON fired once, on its boundary");
      assertEquals(1, sql.count("SELECT count(*) FROM task_configs WHERE id = ? AND next_run_at = ?::timestamptz",
          cron, boundary.plus(1, ChronoUnit.MINUTES).toString()), "and goes on to the next minute");
      long total = sql.count("SELECT count(*) FROM tasks WHERE config_id IS NOT NULL");
      assertEquals(DATES + 1, total, "no instant fired twice");

      long before = sql.count("SELECT count(*) FROM tasks WHERE config_id IS NOT NULL AND created_at < ?::timestamptz", killed.toString());
      Map<String, Object> lag = sql.rows("SELECT (extract(epoch FROM max(created_at - scheduled_for)) * 1000)::bigint AS max_ms, "
          + "(extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY created_at - scheduled_for)) * 1000)::bigint AS p50_ms "
          + "FROM tasks WHERE config_id IS NOT NULL").get(0);
      System.out.printf("schedule: the leader was killed %d ms before a minute boundary; the standby led %.2f s later; "
          + "%d of %d instants were fired by the dead leader, %d by its successor; lag p50 %d ms, max %d ms%n",
          KILL_BEFORE_MS, takeoverSeconds, before, total, total - before, lag.get("p50_ms"), lag.get("max_ms"));
      assertTrue(before > 0 && before < total, "the kill fell among the instants: " + before + " of " + total + " before it");
      assertTrue((Long) lag.get("max_ms") < 10_000, "the lost fires were made on takeover, not at the next reload");
    }
  }

  private static long create(Api api, JsonObject body) throws Exception {
    Api.Reply r = api.post("/api/v1/admin/task-configs", body.encode());
    assertEquals(201, r.status(), r.body());
    return r.json().getLong("id");
  }
}
