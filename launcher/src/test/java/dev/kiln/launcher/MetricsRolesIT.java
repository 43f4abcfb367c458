package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.Eventually;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each role alone in its JVM (its own registry, as an operator runs it): an HTTP node, a
 * dispatcher and a worker, clustered. Every node's /metrics passes {@code promtool check metrics}
 * with nothing to say at start and after tasks ran, and carries its role's series from the start.
 */
class MetricsRolesIT {
  @RegisterExtension final ProcessCluster cluster = new ProcessCluster("metrics-roles-it", 6100, 3);

  @Test
  void everyRolesExpositionIsCleanAtStartAndAfterTasks() throws Exception {
    Map<String, Integer> ports = new LinkedHashMap<>();
    for (String role : List.of("http", "dispatcher", "worker")) ports.put(role, EmbeddedStores.freePort());
    List<KilnProcess> nodes = new ArrayList<>();
    int member = 0;
    for (var e : ports.entrySet()) {
      Map<String, String> extra = Map.of("KILN_HTTP_PORT", String.valueOf(e.getValue()), "KILN_WORKER_QUEUES", "debug", "KILN_WORKER_ID", "w-metrics");
      nodes.add(cluster.start(e.getKey(), cluster.env(member++, e.getKey(), extra), e.getKey()));
    }
    for (KilnProcess p : nodes) p.awaitUp(Duration.ofSeconds(90));

    // What each role says from its start, before any task.
    Exposition http = Exposition.scrape(ports.get("http"));
    assertNotNull(http.value("kiln_tasks_submitted_total", Map.of("queue", "debug")), "the HTTP node counts submissions from zero");
    assertNotNull(http.value("kiln_models_uploaded_total", Map.of("format", "GLB")));
    Exposition dispatcher = Eventually.await("the leader's first sample", Duration.ofSeconds(30), () -> {
      Exposition e = Exposition.scrape(ports.get("dispatcher"));
      return e.value("kiln_queue_oldest_waiting_age_seconds", Map.of("queue", "debug")) != null ? e : null;
    });
    assertEquals(1.0, dispatcher.value("kiln_dispatcher_leader", Map.of()));
    assertNotNull(dispatcher.value("kiln_task_run_seconds_bucket", Map.of("queue", "debug", "le", "+Inf")));
    Exposition worker = Eventually.await("the worker's slots", Duration.ofSeconds(30), () -> {
      Exposition e = Exposition.scrape(ports.get("worker"));
      return e.value("kiln_worker_slots", Map.of("worker", "w-metrics")) != null ? e : null;
    });
    for (var e : Map.of("http", http, "dispatcher", dispatcher, "worker", worker).entrySet()) MetricsTest.assertClean(e.getValue(), e.getKey() + " at start");

    Api api = new Api(ports.get("http"), KilnNode.ADMIN_KEY);
    Eventually.await("the worker serves the debug queue", Duration.ofSeconds(30),
        () -> Exposition.scrape(ports.get("dispatcher")).value("kiln_queue_slots", Map.of("queue", "debug")) > 0);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ids.add(api.submit(new JsonObject().put("tool_action", "debug.sleep").put("input", new JsonObject().put("duration_ms", 20))).getString("id"));
    }
    for (String id : ids) Eventually.await(id + " completed", Duration.ofSeconds(60), () -> "completed".equals(api.task(id).getString("status")));

    Exposition httpAfter = Exposition.scrape(ports.get("http"));
    assertEquals(4.0, httpAfter.value("kiln_tasks_submitted_total", Map.of("queue", "debug")));
    Exposition dispatcherAfter = Exposition.scrape(ports.get("dispatcher"));
    assertEquals(4.0, dispatcherAfter.value("kiln_tasks_finished_total", Map.of("queue", "debug", "status", "completed")));
    assertEquals(4.0, dispatcherAfter.value("kiln_task_run_seconds_count", Map.of("queue", "debug")));
    Exposition workerAfter = Exposition.scrape(ports.get("worker"));
    assertTrue(workerAfter.value("kiln_worker_slots", Map.of("worker", "w-metrics")) > 0);
    for (var e : Map.of("http", httpAfter, "dispatcher", dispatcherAfter, "worker", workerAfter).entrySet()) {
      MetricsTest.assertClean(e.getValue(), e.getKey() + " after tasks");
    }
    for (KilnProcess p : nodes) {
      assertFalse(java.nio.file.Files.readString(p.log).contains("has been already registered"), p.name + " logs no gauge re-registration");
    }
  }
}
