package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.db.Db;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node's verticles share one Postgres pool: however many HTTP instances it runs beside its
 * dispatcher, under load it holds at most {@link Db#DEFAULT_POOL_SIZE} pooled connections (plus
 * the leadership session), not a pool per instance.
 */
class SharedStoresTest {
  @RegisterExtension static final KilnNode.Running kiln = KilnNode.running(Map.of());

  @Test
  void everyVerticleOfANodeSharesOnePool() throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(32);
    try {
      List<Future<Integer>> replies = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        int n = i;
        replies.add(clients.submit(() -> n % 4 == 0
            ? kiln.api().post("/api/v1/tasks", new JsonObject().put("tool_action", "debug.noop").encode()).status()
            : kiln.api().get("/api/v1/tasks?limit=5").status()));
      }
      for (Future<Integer> r : replies) assertTrue(r.get() == 200 || r.get() == 202, "answered " + r.get());
    } finally {
      clients.shutdown();
    }
    try (Sql sql = kiln.sql()) {
      long connections = sql.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
          + "AND application_name = 'kiln'");
      assertTrue(connections >= 2, "the pool and the leadership session are there: " + connections);
      assertTrue(connections <= Db.DEFAULT_POOL_SIZE + 1, Node.HTTP_INSTANCES + " HTTP instances and a dispatcher hold "
          + connections + " connections");
    }
    assertEquals(200, kiln.api().get("/ready").status());
  }
}
