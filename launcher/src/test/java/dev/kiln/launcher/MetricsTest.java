package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.Eventually;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An all-roles node's /metrics passes {@code promtool check metrics} with nothing to say, at
 * start and after tasks ran; the per-queue series are there from the start at zero, and the
 * oldest waiting age, the demand and the saturation ratio follow a task held in a paused queue.
 * (One role per JVM: {@link MetricsRolesIT}.)
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetricsTest {
  static final List<String> QUEUES = List.of("image", "model3d", "debug");

  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of());

  static void assertClean(Exposition e, String when) throws Exception {
    NodeTools.Result r = e.promtool();
    assertEquals(0, r.exitCode(), "promtool check metrics " + when + " exits 0; it said:\n" + r.output());
    assertEquals("", r.output().strip(), "promtool check metrics " + when + " has nothing to say");
  }

  @Test
  @Order(1)
  void theExpositionIsCleanAtStartWithEveryQueueAtZeroAndAfterTasksRan() throws Exception {
    // The leader samples at the start of its term: the per-queue gauges are there before any task.
    Exposition start = Eventually.await("the leader's first sample", Duration.ofSeconds(20), () -> {
      Exposition e = Exposition.scrape(kiln.port());
      return e.value("kiln_queue_oldest_waiting_age_seconds", Map.of("queue", "debug")) != null ? e : null;
    });
    assertClean(start, "at start");
    for (String q : QUEUES) {
      Map<String, String> queue = Map.of("queue", q);
      assertEquals(0.0, start.value("kiln_queue_oldest_waiting_age_seconds", queue), q + ": nothing waits");
      assertEquals(0.0, start.value("kiln_queue_demand", queue), q);
      assertEquals(0.0, start.value("kiln_queue_saturation_ratio", queue), q + ": no demand is 0, not NaN");
      assertNotNull(start.value("kiln_queue_slots", queue), q);
      assertNotNull(start.value("kiln_tasks_submitted_total", queue), q + ": the counter is there before its first task");
      for (String s : Api.ENDED) assertNotNull(start.value("kiln_tasks_finished_total", Map.of("queue", q, "status", s)), q + " " + s);
      assertNotNull(start.value("kiln_task_wait_seconds_bucket", Map.of("queue", q, "le", "+Inf")), q);
    }
    assertEquals(1.0, start.value("kiln_dispatcher_leader", Map.of()), "this node leads");
    long runBuckets = start.text().lines().filter(l -> l.startsWith("kiln_task_run_seconds_bucket{") && l.contains("queue=\"debug\"")).count();
    assertEquals(16, runBuckets, "the run histogram's 15 chosen bounds and +Inf, not Micrometer's ~95");

    double completedBefore = start.value("kiln_tasks_finished_total", Map.of("queue", "debug", "status", "completed"));
    double waitsBefore = start.value("kiln_task_wait_seconds_count", Map.of("queue", "debug"));
    Api api = kiln.api();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(api.submit(new JsonObject().put("tool_action", "debug.sleep").put("input", new JsonObject().put("duration_ms", 20))).getString("id"));
    }
    for (String id : ids) {
      Eventually.await(id + " completed", Duration.ofSeconds(30), () -> "completed".equals(api.task(id).getString("status")));
    }
    Exposition after = Eventually.await("the five settled in the counters", Duration.ofSeconds(10), () -> {
      Exposition e = Exposition.scrape(kiln.port());
      return e.value("kiln_tasks_finished_total", Map.of("queue", "debug", "status", "completed")) >= completedBefore + 5 ? e : null;
    });
    assertClean(after, "after five tasks");
    assertTrue(after.value("kiln_task_wait_seconds_count", Map.of("queue", "debug")) >= waitsBefore + 5, "each start recorded its wait");
    assertTrue(after.value("kiln_worker_slots", Map.of()) > 0, "the worker says its slots");
  }

  @Test
  @Order(2)
  void aTaskHeldInAPausedQueueAgesAndShowsAsDemand() throws Exception {
    Api api = kiln.api();
    Map<String, String> debug = Map.of("queue", "debug");
    assertEquals(200, api.send("PUT", "/api/v1/admin/queues/debug", "{\"is_active\": false}").status());
    String id;
    try {
      id = api.submit(new JsonObject().put("tool_action", "debug.sleep").put("input", new JsonObject().put("duration_ms", 10))).getString("id");
      Exposition waiting = Eventually.await("the paused task ages in the sample", Duration.ofSeconds(30), () -> {
        Exposition e = Exposition.scrape(kiln.port());
        Double age = e.value("kiln_queue_oldest_waiting_age_seconds", debug);
        return age != null && age > 0 && e.value("kiln_queue_slots", debug) > 0 ? e : null;
      });
      assertEquals("pending", api.task(id).getString("status"), "the paused queue held it");
      assertEquals(1.0, waiting.value("kiln_queue_demand", debug), "one task wants a slot");
      double slots = waiting.value("kiln_queue_slots", debug);
      assertEquals(1.0 / slots, waiting.value("kiln_queue_saturation_ratio", debug), 1e-9, "demand over the slots serving the queue");
      assertEquals(1.0, waiting.value("kiln_queue_depth", Map.of("queue", "debug", "status", "pending")));
      assertClean(waiting, "while a task waits");
    } finally {
      assertEquals(200, api.send("PUT", "/api/v1/admin/queues/debug", "{\"is_active\": true}").status());
    }
    Eventually.await(id + " completed once resumed", Duration.ofSeconds(30), () -> "completed".equals(api.task(id).getString("status")));
    Eventually.await("nothing waits any more", Duration.ofSeconds(20), () -> {
      Exposition e = Exposition.scrape(kiln.port());
      return e.value("kiln_queue_oldest_waiting_age_seconds", debug) == 0.0 && e.value("kiln_queue_demand", debug) == 0.0;
    });
  }
}
