package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps work waiting, from a thread of its own, until closed: whenever fewer than {@code low}
 * tasks are pending, {@code batch} more of {@code task} are bulk-submitted. So a fault of any
 * length, on a machine of any speed, always has work to delay, and a worker back from one always
 * has work to take.
 */
final class Backlog implements AutoCloseable {
  private final AtomicBoolean on = new AtomicBoolean(true);
  private final AtomicLong submitted = new AtomicLong();
  private volatile Throwable failure;
  private Thread thread;

  static Backlog start(Api api, String db, JsonObject task, int low, int batch) {
    Backlog b = new Backlog();
    JsonArray tasks = new JsonArray();
    for (int i = 0; i < batch; i++) tasks.add(task.copy());
    String body = new JsonObject().put("tasks", tasks).encode();
    b.thread = new Thread(() -> {
      try (Sql sql = new Sql(db)) {
        while (b.on.get()) {
          if (sql.count("SELECT count(*) FROM tasks WHERE status = 'pending'") < low) {
            Api.Reply r = api.post("/api/v1/tasks/bulk", body);
            assertEquals(202, r.status(), r.body());
            b.submitted.addAndGet(batch);
          } else {
            Thread.sleep(20); // polling interval between looks at the queue
          }
        }
      } catch (Throwable e) {
        b.failure = e;
      }
    }, "backlog");
    b.thread.start();
    return b;
  }

  /** Tasks submitted so far. */
  long submitted() {
    return submitted.get();
  }

  /** Stops submitting (what waits still runs); rethrows what stopped it early, if anything did. Once. */
  @Override
  public void close() throws Exception {
    if (!on.getAndSet(false)) return;
    thread.join();
    if (failure != null) throw new AssertionError("the backlog stopped early", failure);
  }
}
