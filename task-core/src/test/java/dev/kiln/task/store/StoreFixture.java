package dev.kiln.task.store;

import dev.kiln.common.db.Db;
import dev.kiln.task.RetryPolicy;
import dev.kiln.testing.Sql;
import dev.kiln.testing.TestStores;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A task store on a fresh, migrated database of the real test PostgreSQL: the core's tests drive
 * it as the roles do, with no node around it. Two API clients, {@code a} and {@code b}, exist.
 */
final class StoreFixture implements BeforeAllCallback, AfterAllCallback {
  Vertx vertx;
  Pool pool;
  TaskStore store;
  TaskReads reads;
  Sql sql;
  /** The fencing epoch the tests lead with. */
  long epoch;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    String url = TestStores.migratedDatabase();
    vertx = Vertx.vertx();
    pool = Db.pool(vertx, url);
    store = new TaskStore(pool, new RetryPolicy(RetryPolicy.DEFAULT_MAX_LOST, RetryPolicy.DEFAULT_MAX_HANDOFFS, () -> 0.5));
    reads = new TaskReads(pool);
    sql = new Sql(url);
    sql.update("INSERT INTO api_clients (id, display_name, role, api_key_hash) VALUES ('a', 'A', 'first_party', 'ha'), "
        + "('b', 'B', 'first_party', 'hb')");
    epoch = ((Number) sql.rows("UPDATE dispatcher_leadership SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch").get(0).get("epoch"))
        .longValue();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    sql.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  /** A debug.sleep task of a tenant, priced at {@code cost}. */
  static NewTask task(String client, String user, long cost) {
    return task(client, user, cost, 0);
  }

  static NewTask task(String client, String user, long cost, int priority) {
    return new NewTask(UUID.randomUUID(), client, user, "openapi", "debug.sleep", "debug", priority, new JsonObject(), null, null,
        cost, null, null, null, null, null, new JsonArray(), null);
  }

  /** Lets the debug queue start at most {@code n} at once (and by priority or not). */
  void queue(int maxConcurrency, boolean enablePriority) throws Exception {
    sql.update("UPDATE queue_configs SET max_concurrency = ?, enable_priority = ?, is_active = true WHERE queue = 'debug'",
        maxConcurrency, enablePriority);
  }

  String status(UUID id) throws Exception {
    return (String) sql.rows("SELECT status FROM tasks WHERE id = ?", id).get(0).get("status");
  }
}
