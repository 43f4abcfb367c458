package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Claim order: priority first (when the queue enables it), tenants round-robin within a
 * level, oldest first within a tenant. One task runs at a time so the start order is the order.
 */
class OrderTest {
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of());

  @BeforeAll
  static void start() throws Exception {
    configure("{\"max_concurrency\": 1}");
  }

  /** Through the admin API, which also tells the leader at once (a direct UPDATE waits for its 1 s refresh). */
  private static void configure(String json) throws Exception {
    Api.Reply r = kiln.api().send("PUT", "/api/v1/admin/queues/debug", json);
    assertEquals(200, r.status(), r.body());
  }

  /** Queues the tasks while the queue is paused, then lets it run and returns ids in start order. */
  private static List<String> runInOrder(boolean enablePriority, List<Api> submitters, List<Integer> priorities)
      throws Exception {
    List<String> ids = new ArrayList<>();
    try (Sql sql = kiln.sql()) {
      configure("{\"is_active\": false, \"enable_priority\": " + enablePriority + "}");
      for (int i = 0; i < submitters.size(); i++) {
        ids.add(submitters.get(i).submit(new JsonObject().put("tool_action", "debug.sleep").put("priority", priorities.get(i))
            .put("input", new JsonObject().put("duration_ms", 1))).getString("id"));
      }
      configure("{\"is_active\": true}");
      Eventually.await("all ran", Duration.ofSeconds(60), () -> sql.count(
          "SELECT count(*) FROM tasks WHERE id = ANY(?::uuid[]) AND status = 'completed'", (Object) ids.toArray(new String[0])) == ids.size());
      List<String> order = new ArrayList<>();
      for (Map<String, Object> r : sql.rows("SELECT id::text AS id FROM tasks WHERE id = ANY(?::uuid[]) ORDER BY started_at",
          (Object) ids.toArray(new String[0]))) {
        order.add((String) r.get("id"));
      }
      return order;
    }
  }

  @Test
  void oneTenantsManyTasksDelayAnothersSingleTaskByOneRoundAtMost() throws Exception {
    Api heavy = kiln.api().forUser("heavy-user");
    Api light = kiln.api().forUser("light-user");
    List<Api> who = new ArrayList<>();
    List<Integer> prio = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      who.add(heavy);
      prio.add(0);
    }
    who.add(light);
    prio.add(0);
    List<String> order = runInOrder(true, who, prio);
    // the light user's task was submitted last; it starts in the first round
    String lightTask;
    try (Sql sql = kiln.sql()) {
      lightTask = (String) sql.rows("SELECT id::text AS id FROM tasks WHERE user_id = 'light-user'").get(0).get("id");
    }
    int position = order.indexOf(lightTask);
    assertTrue(position <= 1, "the light tenant's task started at position " + position + " of " + order.size());
  }

  @Test
  void aTenantArrivingLateJoinsTheRoundBeingServedInsteadOfJumpingTheLine() throws Exception {
    Api early = kiln.api().forUser("early-user");
    Api late = kiln.api().forUser("late-user");
    try (Sql sql = kiln.sql()) {
      configure("{\"is_active\": false, \"enable_priority\": true}");
      for (int i = 0; i < 60; i++) sleep(early);
      configure("{\"is_active\": true}");
      Eventually.await("the early tenant's first tasks ran", Duration.ofSeconds(30), () -> sql.count(
          "SELECT count(*) FROM tasks WHERE user_id = 'early-user' AND status = 'completed'") >= 10);
      configure("{\"is_active\": false}");
      long earlyLeft = sql.count("SELECT count(*) FROM tasks WHERE user_id = 'early-user' AND status = 'pending'");
      assertTrue(earlyLeft >= 10, "the early tenant still has a backlog: " + earlyLeft);
      for (int i = 0; i < 10; i++) sleep(late);
      configure("{\"is_active\": true}");
      Eventually.await("all ran", Duration.ofSeconds(60), () -> sql.count(
          "SELECT count(*) FROM tasks WHERE user_id IN ('early-user', 'late-user') AND status <> 'completed'") == 0);
      List<String> order = new ArrayList<>();
      for (Map<String, Object> r : sql.rows("SELECT user_id FROM tasks WHERE user_id IN ('early-user', 'late-user') ORDER BY started_at")) {
        order.add((String) r.get("user_id"));
      }
      // From the late tenant's first task on, the two alternate: it joined the round being served.
      // (Its line used to start at 0, below the early tenant's, and all ten of its tasks ran first.)
      List<String> after = order.subList(order.indexOf("late-user"), order.indexOf("late-user") + 20);
      for (int i = 0; i + 1 < after.size(); i++) {
        assertTrue(!after.get(i).equals(after.get(i + 1)), "alternating from the late arrival on: " + after);
      }
    }
  }

  private static void sleep(Api as) throws Exception {
    as.submit(new JsonObject().put("tool_action", "debug.sleep").put("input", new JsonObject().put("duration_ms", 1)));
  }

  @Test
  void higherPriorityStartsFirstWhenTheQueueEnablesIt() throws Exception {
    List<String> order = runInOrder(true, List.of(kiln.api(), kiln.api(), kiln.api(), kiln.api()), List.of(0, 0, 5, 10));
    try (Sql sql = kiln.sql()) {
      List<Integer> priorities = new ArrayList<>();
      for (String id : order) {
        priorities.add(((Number) sql.rows("SELECT priority FROM tasks WHERE id = ?::uuid", id).get(0).get("priority")).intValue());
      }
      assertEquals(List.of(10, 5, 0, 0), priorities);
    }
  }

  @Test
  void withoutPriorityTheQueueIsFifo() throws Exception {
    Api one = kiln.api().forUser("fifo-user");
    List<String> order = runInOrder(false, List.of(one, one, one, one), List.of(0, 3, 7, 10));
    try (Sql sql = kiln.sql()) {
      List<String> byCreation = new ArrayList<>();
      for (Map<String, Object> r : sql.rows("SELECT id::text AS id FROM tasks WHERE id = ANY(?::uuid[]) ORDER BY created_at",
          (Object) order.toArray(new String[0]))) {
        byCreation.add((String) r.get("id"));
      }
      assertEquals(byCreation, order);
    }
  }
}
