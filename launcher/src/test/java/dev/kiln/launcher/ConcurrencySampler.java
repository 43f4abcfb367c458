package dev.kiln.launcher;

import dev.kiln.testing.Sql;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/** Samples a queue's running count from Postgres, as fast as it answers, until stopped. */
final class ConcurrencySampler {
  private final AtomicLong max = new AtomicLong();
  private final AtomicBoolean on = new AtomicBoolean(true);
  private Thread thread;

  static ConcurrencySampler start(String db, String queue) {
    ConcurrencySampler s = new ConcurrencySampler();
    s.thread = new Thread(() -> {
      try (Sql sql = new Sql(db)) {
        while (s.on.get()) {
          s.max.accumulateAndGet(sql.count("SELECT count(*) FROM tasks WHERE queue = ? AND status = 'running'", queue), Math::max);
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "concurrency-sampler");
    s.thread.start();
    return s;
  }

  /** The highest count seen so far. */
  long max() {
    return max.get();
  }

  /** Stops and returns the highest count seen. */
  long stop() throws InterruptedException {
    on.set(false);
    thread.join();
    return max.get();
  }
}
