package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cost accounting (issue 13): each attempt a worker ran is an execution with its provider, and
 * GET /admin/usage sums the executions that ended in [from, to) by tenant and by tool_action.
 */
class UsageTest {
  // a fresh database of its own: every task and execution in it is this test's
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of());

  private static String usage(Instant from, Instant to) {
    return "/api/v1/admin/usage?from=" + enc(from.toString()) + "&to=" + enc(to.toString());
  }

  private static String enc(String v) {
    return URLEncoder.encode(v, StandardCharsets.UTF_8);
  }

  @Test
  void usageSumsWhatTheExecutionsOfTheSpanSayByTenantAndByAction() throws Exception {
    Instant before = Instant.now().minusSeconds(60);
    Api admin = kiln.api();
    Api firstParty = admin.as(KilnNode.FIRST_PARTY_KEY);
    try (Sql sql = kiln.sql()) {
      // a failed first attempt is retried at once, so one task has two executions
      sql.update("UPDATE queue_configs SET retry_delay_base = 10, retry_delay_max = 10 WHERE queue = 'debug'");
      List<String> ids = List.of(
          admin.submit(new JsonObject().put("tool_action", "debug.noop")).getString("id"),
          admin.submit(new JsonObject().put("tool_action", "debug.noop")).getString("id"),
          admin.forUser("u-1").submit(new JsonObject().put("tool_action", "debug.sleep")
              .put("input", new JsonObject().put("duration_ms", 10).put("fail_attempts", 1))).getString("id"),
          firstParty.submit(new JsonObject().put("tool_action", "image.generate")
              .put("input", new JsonObject().put("prompt", "a kiln").put("width", 64).put("height", 64))).getString("id"));
      Eventually.await("all four completed", Duration.ofSeconds(60), () -> sql.count(
          "SELECT count(*) FROM tasks WHERE status = 'completed'") == ids.size());

      assertEquals(List.of(Map.of("provider_name", "debug", "n", 4L), Map.of("provider_name", "demo", "n", 1L)),
          sql.rows("SELECT provider_name, count(*) AS n FROM task_executions GROUP BY provider_name ORDER BY provider_name"),
          "every attempt a worker ran names its provider");
      assertEquals(0, sql.count("SELECT count(*) FROM tasks WHERE provider_name IS NULL"), "and so does its task");
      assertEquals(0, sql.count("SELECT count(*) FROM task_executions WHERE gpu_seconds <> 0"),
          "the in-process stand-ins hold no GPU");
      // An inference server's attempts would have reported GPU time; give each execution its own,
      // so the sums below add up different numbers in each group.
      sql.update("UPDATE task_executions SET gpu_seconds = id * 1.25");

      Instant after = Instant.now().plusSeconds(60);
      Api.Reply r = admin.get(usage(before, after));
      assertEquals(200, r.status(), r.body());
      JsonObject u = r.json();
      JsonObject total = u.getJsonObject("total");
      assertEquals(5, total.getLong("attempts"));
      assertEquals(4, total.getLong("tasks"));
      assertEquals(sum(sql, "SELECT sum(gpu_seconds) AS s FROM task_executions"), total.getDouble("gpu_seconds"), 1e-9);

      Map<String, JsonObject> byTenant = new HashMap<>();
      for (Object o : u.getJsonArray("by_tenant")) {
        JsonObject t = (JsonObject) o;
        byTenant.put(t.getString("api_client_id") + "/" + t.getString("user_id"), t);
      }
      Map<String, JsonObject> expected = new HashMap<>();
      for (Map<String, Object> row : sql.rows("SELECT t.api_client_id || '/' || coalesce(t.user_id, 'null') AS k, "
          + "sum(e.gpu_seconds) AS s, count(*) AS a, count(DISTINCT e.task_id) AS n "
          + "FROM task_executions e JOIN tasks t ON t.id = e.task_id GROUP BY 1")) {
        expected.put((String) row.get("k"), new JsonObject().put("gpu_seconds", row.get("s")).put("attempts", row.get("a"))
            .put("tasks", row.get("n")));
      }
      assertEquals(3, expected.size(), "the admin, the admin for u-1, the first-party client: " + expected.keySet());
      assertEquals(expected.keySet(), byTenant.keySet());
      expected.forEach((k, want) -> {
        JsonObject got = byTenant.get(k);
        assertEquals(want.getLong("attempts"), got.getLong("attempts"), k);
        assertEquals(want.getLong("tasks"), got.getLong("tasks"), k);
        assertEquals(want.getDouble("gpu_seconds"), got.getDouble("gpu_seconds"), 1e-9, k);
      });

      Map<String, JsonObject> byAction = new HashMap<>();
      for (Object o : u.getJsonArray("by_tool_action")) byAction.put(((JsonObject) o).getString("tool_action"), (JsonObject) o);
      assertEquals(Map.of("debug.noop", 2L, "debug.sleep", 2L, "image.generate", 1L),
          Map.of("debug.noop", byAction.get("debug.noop").getLong("attempts"), "debug.sleep", byAction.get("debug.sleep").getLong("attempts"),
              "image.generate", byAction.get("image.generate").getLong("attempts")));
      assertEquals(1, byAction.get("debug.sleep").getLong("tasks"), "two attempts of one task");
      assertEquals(sum(sql, "SELECT sum(e.gpu_seconds) AS s FROM task_executions e JOIN tasks t ON t.id = e.task_id "
          + "WHERE t.tool_action = 'debug.sleep'"), byAction.get("debug.sleep").getDouble("gpu_seconds"), 1e-9);

      JsonObject none = admin.get(usage(before.minusSeconds(3600), before)).json();
      assertEquals(new JsonObject().put("gpu_seconds", 0.0).put("attempts", 0).put("tasks", 0), none.getJsonObject("total"),
          "executions that ended after the span are not in it");
      assertEquals(new JsonArray(), none.getJsonArray("by_tenant"));

      List<Map<String, Object>> executions = sql.rows("SELECT * FROM task_executions ORDER BY id");
      Instant now = Instant.now();
      Map<String, String> bad = Map.of(
          "/api/v1/admin/usage", "missing_parameter",
          "/api/v1/admin/usage?from=" + enc(now.toString()), "missing_parameter",
          "/api/v1/admin/usage?from=yesterday&to=" + enc(now.toString()), "invalid_parameter",
          "/api/v1/admin/usage?from=2026-01-01T00:00:00&to=2026-01-02T00:00:00Z", "invalid_parameter",
          usage(now, now), "invalid_range",
          usage(now, now.minusSeconds(1)), "invalid_range",
          usage(now.minus(Duration.ofDays(93)), now), "range_too_long",
          usage(before, after) + "&tenant=a", "unknown_parameter",
          usage(before, after) + "&to=" + enc(after.toString()), "invalid_parameter");
      for (Map.Entry<String, String> b : bad.entrySet()) {
        Api.Reply refused = admin.get(b.getKey());
        assertEquals(400, refused.status(), b.getKey() + " -> " + refused.body());
        assertTrue(refused.contentType().startsWith("application/problem+json"), b.getKey());
        assertEquals(b.getValue(), refused.json().getString("code"), b.getKey());
      }
      assertEquals(200, admin.get(usage(now.minus(Duration.ofDays(92)), now)).status(), "92 days is the most one question spans");
      Api.Reply forbidden = firstParty.get(usage(before, after));
      assertEquals(403, forbidden.status());
      assertEquals("forbidden", forbidden.json().getString("code"));
      assertEquals(executions, sql.rows("SELECT * FROM task_executions ORDER BY id"), "asking changes nothing");
    }
  }

  private static double sum(Sql sql, String query) throws Exception {
    return ((Number) sql.rows(query).get(0).get("s")).doubleValue();
  }
}
