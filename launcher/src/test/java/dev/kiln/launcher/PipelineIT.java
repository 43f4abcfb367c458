package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
 * Seed 003's pipeline across real JVMs with a worker killed (-9) in the middle of the images and
 * again in the middle of the models: every request still reaches its pick and then its end, its
 * images' and model's statuses are their tasks', it has one model, and the credits balance.
 */
class PipelineIT {
  static final int REQUESTS = 6;

  @RegisterExtension final ProcessCluster cluster = new ProcessCluster("pipeline-it", 6650, 3);

  @Test
  void requestsSurviveAWorkerKilledDuringTheirImagesAndDuringTheirModels() throws Exception {
    int httpPort = EmbeddedStores.freePort();
    KilnProcess leader = cluster.start("http-dispatcher", cluster.env(0, "http,dispatcher", Map.of("KILN_HTTP_PORT",
        String.valueOf(httpPort), "KILN_PRICES", "image.generate=1,model3d.generate=3")), "http,dispatcher");
    List<Map<String, String>> envs = new ArrayList<>();
    List<KilnProcess> workers = new ArrayList<>();
    for (int i = 1; i <= 2; i++) {
      envs.add(cluster.env(i, "worker", Map.of("KILN_WORKER_ID", "pipe-" + i, "KILN_WORKER_SLOTS", "2",
          "KILN_WORKER_QUEUES", "image,model3d")));
      workers.add(cluster.start("worker-" + i, envs.get(i - 1), "worker"));
    }
    leader.awaitUp(Duration.ofSeconds(90));
    for (KilnProcess w : workers) w.awaitUp(Duration.ofSeconds(90));
    Api api = new Api(httpPort, KilnNode.ADMIN_KEY);
    assertEquals(200, api.post("/api/v1/admin/wallets/grant", "{\"api_client_id\": \"admin\", \"amount\": 1000}").status());

    try (Sql sql = new Sql(cluster.db())) {
      Eventually.await("two workers registered", Duration.ofSeconds(30),
          () -> sql.count("SELECT count(*) FROM workers WHERE status = 'active'") == 2);
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < REQUESTS; i++) {
        Api.Reply r = api.post("/api/v1/generation-requests", new JsonObject().put("prompt", "kiln " + i).put("width", 512)
            .put("height", 512).encode());
        assertEquals(202, r.status(), r.body());
        ids.add(r.json().getString("id"));
      }
      Eventually.await("images running on pipe-1", Duration.ofSeconds(30), () -> sql.count(
          "SELECT count(*) FROM tasks WHERE status = 'running' AND worker_id = 'pipe-1' AND tool_action = 'image.generate'") > 0);
      workers.get(0).kill();
      workers.set(0, cluster.start("worker-1-again", envs.get(0), "worker"));
      workers.get(0).awaitUp(Duration.ofSeconds(90));
      Eventually.await("every request awaits its pick", Duration.ofSeconds(120), () -> sql.count(
          "SELECT count(*) FROM generation_requests WHERE phase = 'AWAITING_SELECTION'") == REQUESTS);

      for (int i = 0; i < REQUESTS; i++) {
        Api.Reply picked = api.send("PATCH", "/api/v1/generation-requests/" + ids.get(i), "{\"selected_image_index\": " + (i % 4) + "}");
        assertEquals(200, picked.status(), picked.body());
      }
      Eventually.await("a model running on pipe-2", Duration.ofSeconds(30), () -> sql.count(
          "SELECT count(*) FROM tasks WHERE status = 'running' AND worker_id = 'pipe-2' AND tool_action = 'model3d.generate'") > 0);
      workers.get(1).kill();
      workers.set(1, cluster.start("worker-2-again", envs.get(1), "worker"));
      Eventually.await("every request completed", Duration.ofSeconds(120), () -> sql.count(
          "SELECT count(*) FROM generation_requests WHERE status = 'COMPLETED' AND phase = 'COMPLETED'") == REQUESTS);

      long lost = sql.count("SELECT count(*) FROM task_executions WHERE outcome = 'worker_lost'");
      assertEquals(0, sql.count("SELECT count(*) FROM generated_images g JOIN tasks t ON t.id = g.task_id "
          + "WHERE g.image_status <> CASE t.status WHEN 'completed' THEN 'COMPLETED' ELSE 'FAILED' END"),
          "every image's status is its task's");
      assertEquals(REQUESTS, sql.count("SELECT count(*) FROM models m JOIN tasks t ON t.id = m.task_id "
          + "WHERE m.status = 'COMPLETED' AND t.status = 'completed' AND m.object_key IS NOT NULL"), "one finished model each");
      assertEquals(0, sql.count("SELECT count(*) FROM task_executions a JOIN task_executions b "
          + "ON a.task_id = b.task_id AND a.attempt < b.attempt AND b.started_at < a.completed_at"), "no attempts overlapped");
      Map<String, Object> wallet = sql.rows("SELECT balance, held FROM wallets WHERE api_client_id = 'admin' AND user_id = ''").get(0);
      assertEquals(1000L - REQUESTS * (4 + 3), ((Number) wallet.get("balance")).longValue(), "each image and each model paid once");
      assertEquals(0L, ((Number) wallet.get("held")).longValue(), "nothing still held");
      LedgerCheck.assertBalanced(sql);
      System.out.printf("pipeline: %d requests through a worker kill -9 during their images and one during their models; "
          + "%d attempts lost with their worker and re-run; all completed, one model each%n", REQUESTS, lost);
    }
  }
}
