package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A task whose worker dies under it again and again (a poison task, a bad host): each loss puts
 * it back without spending a retry, up to the bound of DESIGN §4, and then it fails with
 * {@code worker_lost} instead of taking workers down for ever. Separate JVMs from the jar; the
 * worker is killed with -9 and started again under its old id each time.
 */
class WorkerLostIT {
  /** Leader.MAX_LOST re-queues, then the next loss fails the task. */
  static final int LOSSES = 4;

  @RegisterExtension final ProcessCluster cluster = new ProcessCluster("worker-lost-it", 6350, 2);
  private final List<KilnProcess> nodes = new ArrayList<>();

  @Test
  void aTaskLostWithItsWorkerPastTheBoundFailsWorkerLost() throws Exception {
    String db = cluster.db();
    int httpPort = EmbeddedStores.freePort();
    nodes.add(cluster.start("http-dispatcher", cluster.env(0, "http,dispatcher", Map.of("KILN_HTTP_PORT", String.valueOf(httpPort))),
        "http,dispatcher"));
    Map<String, String> worker = cluster.env(1, "worker", Map.of("KILN_WORKER_ID", "wl-0", "KILN_WORKER_SLOTS", "1",
        "KILN_WORKER_QUEUES", "debug"));
    nodes.add(cluster.start("worker-1", worker, "worker"));
    for (KilnProcess p : nodes) p.awaitUp(Duration.ofSeconds(90));

    Api api = new Api(httpPort, KilnNode.ADMIN_KEY);
    String id = api.submit(new JsonObject().put("tool_action", "debug.sleep")
        .put("input", new JsonObject().put("duration_ms", 600_000))).getString("id");
    List<Double> detected = new ArrayList<>();
    try (Sql sql = new Sql(db)) {
      for (int loss = 1; loss <= LOSSES; loss++) {
        int attempt = loss;
        Eventually.await("attempt " + attempt + " running on wl-0", Duration.ofSeconds(60), () -> sql.count(
            "SELECT count(*) FROM tasks WHERE id = ?::uuid AND status = 'running' AND attempt = ? AND worker_id = 'wl-0'", id, attempt) == 1);
        long killedAt = System.nanoTime();
        nodes.get(1).kill();
        Eventually.await("attempt " + attempt + " recorded lost", Duration.ofSeconds(20), () -> sql.count(
            "SELECT count(*) FROM task_executions WHERE task_id = ?::uuid AND attempt = ? AND outcome = 'worker_lost'", id, attempt) == 1);
        detected.add((System.nanoTime() - killedAt) / 1e9);
        if (loss < LOSSES) {
          assertEquals("pending", api.task(id).getString("status"), "lost " + loss + " time(s): back in the queue");
          nodes.set(1, cluster.start("worker-" + (loss + 1), worker, "worker"));
          nodes.get(1).awaitUp(Duration.ofSeconds(90));
        }
      }

      JsonObject task = api.task(id);
      assertEquals("failed", task.getString("status"), task.encodePrettily());
      assertEquals("worker_lost", task.getString("error_code"));
      assertEquals(0, task.getInteger("retry_count"), "losses spend no retry");
      assertEquals(LOSSES, task.getInteger("attempt"));
      assertEquals(LOSSES, sql.count("SELECT lost_count FROM tasks WHERE id = ?::uuid", id));
      assertEquals(LOSSES, sql.count("SELECT count(*) FROM task_executions WHERE task_id = ?::uuid AND outcome = 'worker_lost'", id));
      assertEquals(0, sql.count("SELECT count(*) FROM task_executions WHERE task_id = ?::uuid AND is_success", id));
      assertEquals(List.of("created", "started", "retrying", "started", "retrying", "started", "retrying", "started", "failed"),
          sql.rows("SELECT event_type FROM task_events WHERE task_id = ?::uuid AND event_type <> 'progress' ORDER BY id", id).stream()
              .map(r -> (String) r.get("event_type")).toList(), "the task's history tells each loss");
    }
    System.out.printf("worker lost: %d kill -9s of the task's worker each noticed in %s s; the task then failed worker_lost, "
        + "no retry spent%n", LOSSES, detected.stream().map(s -> String.format("%.2f", s)).toList());
    assertTrue(detected.stream().allMatch(s -> s < 10), "each loss noticed within 10 s: " + detected);
    assertTrue(nodes.get(0).output().contains("Workers gone (cluster member"),
        "the leader heard the worker's cluster member leave, not only its heartbeats stop");
  }
}
