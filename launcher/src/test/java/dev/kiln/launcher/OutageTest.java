package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.config.KilnConfig;
import dev.kiln.common.db.Db;
import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import dev.kiln.testing.TestStores;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL stopped and started again mid-run, and Redis stopped: the API says 503 with
 * Retry-After meanwhile, every role recovers without a restart, and no task is lost or run twice.
 * This test owns its stores, since it stops them.
 */
class OutageTest {
  private EmbeddedStores stores;
  private Node node;

  @AfterEach
  void stop() throws Exception {
    if (node != null) node.close().get(60, TimeUnit.SECONDS);
    if (stores != null) stores.close();
    List<String> blocked = BlockedThreadWatch.drain();
    if (!blocked.isEmpty()) throw new AssertionError("an event loop was blocked: " + blocked);
  }

  private Api start() throws Exception {
    BlockedThreadWatch.install();
    Path dir = Files.createTempDirectory("kiln-outage");
    stores = EmbeddedStores.start(dir, true, true);
    int port = EmbeddedStores.freePort();
    node = Node.start(KilnConfig.from(Map.of("DATABASE_URL", stores.databaseUrl(), "REDIS_URL", stores.redisUrl(),
            "KILN_ADMIN_KEY", KilnNode.ADMIN_KEY, "KILN_HTTP_PORT", String.valueOf(port), "KILN_DATA_DIR", dir.toString(),
            "KILN_DEBUG_EXECUTORS", "true", "KILN_WORKER_SLOTS", "8")), EnumSet.allOf(Role.class), false)
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    return new Api(port, KilnNode.ADMIN_KEY);
  }

  @Test
  void postgresRestartingMidRunLosesNothing() throws Exception {
    Api api = start();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      ids.add(api.submit(new JsonObject().put("tool_action", "debug.sleep")
          .put("input", new JsonObject().put("duration_ms", 300 + (i % 4) * 100).put("progress_steps", 2))).getString("id"));
    }
    try (Sql sql = new Sql(stores.databaseUrl())) {
      Eventually.await("some done", Duration.ofSeconds(30),
          () -> sql.count("SELECT count(*) FROM tasks WHERE status = 'completed'") >= 5);
    }
    stores.stopPostgres();
    Api.Reply get = Eventually.await("503 while PostgreSQL is down", Duration.ofSeconds(20), () -> {
      Api.Reply r = api.get("/api/v1/tasks/" + ids.get(0));
      return r.status() == 503 ? r : null;
    });
    assertEquals("service_unavailable", get.json().getString("code"));
    Api.Reply post = api.post("/api/v1/tasks", "{\"tool_action\": \"debug.noop\"}");
    assertEquals(503, post.status(), post.body());
    assertEquals(503, api.get("/ready").status());

    stores.startPostgres();
    try (Sql sql = new Sql(stores.databaseUrl())) {
      Eventually.await("all tasks completed after the restart", Duration.ofSeconds(90),
          () -> sql.count("SELECT count(*) FROM tasks WHERE status = 'completed'") == ids.size());
      assertEquals(ids.size(), sql.count("SELECT count(*) FROM task_executions WHERE is_success"), "each ran to completion once");
      assertEquals(0, sql.count("SELECT count(*) FROM task_executions a JOIN task_executions b "
          + "ON a.task_id = b.task_id AND a.attempt < b.attempt AND b.started_at < a.completed_at"), "no overlapping attempts");
    }
    String after = Eventually.await("submits work again", Duration.ofSeconds(20), () -> {
      Api.Reply r = api.post("/api/v1/tasks", "{\"tool_action\": \"debug.noop\"}");
      return r.status() == 202 ? r.json().getString("id") : null;
    });
    api.awaitStatus(after, "completed", Duration.ofSeconds(20));
    assertEquals(200, api.get("/ready").status());
  }

  /**
   * A process that hangs (SIGSTOP) between a transaction's statements leaves its row locks held;
   * the leader's epoch fence is one. Postgres must end that session so a new leader can take over.
   */
  @Test
  void aTransactionLeftOpenByAHungProcessIsEnded() throws Exception {
    String db = TestStores.freshDatabase();
    Vertx vertx = Vertx.vertx();
    try (Sql sql = new Sql(db)) {
      sql.update("CREATE TABLE fence (id int PRIMARY KEY, epoch bigint NOT NULL)");
      sql.update("INSERT INTO fence VALUES (1, 1)");
      Pool pool = Db.pool(vertx, db);
      SqlConnection hung = pool.getConnection().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      hung.begin().compose(tx -> hung.query("SELECT 1 FROM fence WHERE id = 1 FOR SHARE").execute())
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

      sql.update("SET lock_timeout = '20s'");
      long t0 = System.nanoTime();
      assertEquals(1, sql.update("UPDATE fence SET epoch = epoch + 1 WHERE id = 1"));
      double waited = (System.nanoTime() - t0) / 1e9;
      assertTrue(waited < Db.IDLE_IN_TRANSACTION_TIMEOUT_MILLIS / 1000.0 + 3, "the takeover waited " + waited + " s");
      assertTrue(hung.query("SELECT 1").execute().toCompletionStage().toCompletableFuture()
          .handle((r, e) -> e != null).get(10, TimeUnit.SECONDS), "the hung session was ended");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void withRedisAwayTasksStillFlow() throws Exception {
    Api api = start();
    stores.stopRedis();
    Eventually.await("/ready says DOWN", Duration.ofSeconds(10), () -> api.get("/ready").status() == 503);
    String id = api.submit(new JsonObject().put("tool_action", "debug.sleep")
        .put("input", new JsonObject().put("duration_ms", 300).put("progress_steps", 3))).getString("id");
    List<Api.Sse> events = api.events(id, null, Duration.ofSeconds(30));
    assertEquals("completed", events.get(events.size() - 1).event());
    assertTrue(events.stream().anyMatch(e -> e.event().equals("progress")), "progress still reaches SSE via PostgreSQL");
    assertEquals("completed", api.task(id).getString("status"));
    stores.startRedis();
    Eventually.await("/ready UP again", Duration.ofSeconds(20), () -> api.get("/ready").status() == 200);
  }
}
