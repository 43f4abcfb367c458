package dev.kiln.task.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * The webhook outbox ({@code webhook_deliveries}): a task (or batch) with a webhook_url gets a
 * delivery row in the transaction that ends it; the leading dispatcher's WebhookSender claims due
 * rows, sends them and records how it went. All of the outbox's SQL is here.
 */
public final class WebhookOutbox {
  /** A task that ended, and the URL its end is announced to. */
  record Delivery(UUID taskId, String url, String event) {}

  private static final String ENQUEUE =
      "INSERT INTO webhook_deliveries (task_id, url, event) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])";
  private static final String CLAIM =
      "UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $3) "
          + "FROM (SELECT id FROM webhook_deliveries WHERE delivered_at IS NULL AND next_attempt_at <= now() AND attempts < $1 "
          + "ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) due WHERE d.id = due.id "
          + "RETURNING d.id, d.task_id, d.batch_id, d.request_id, d.url, d.event, d.attempts";
  private static final String DELIVERED =
      "UPDATE webhook_deliveries SET delivered_at = now(), last_status = $2, last_error = NULL WHERE id = $1";
  private static final String FAILED = "UPDATE webhook_deliveries SET next_attempt_at = now() + make_interval(secs => $2), "
      + "last_status = $3, last_error = $4 WHERE id = $1";
  private static final String GAVE_UP = "UPDATE webhook_deliveries SET attempts = $2, last_error = $3 WHERE id = $1";
  /** Deliveries that are over (delivered, or given up) and older than the retention. */
  private static final String PRUNE = "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries "
      + "WHERE created_at < now() - make_interval(secs => $1) AND (delivered_at IS NOT NULL OR attempts >= $2) LIMIT $3)";

  private final Pool pool;

  public WebhookOutbox(Pool pool) {
    this.pool = pool;
  }

  static Future<Void> enqueue(SqlConnection conn, List<Delivery> deliveries) {
    if (deliveries.isEmpty()) return Future.succeededFuture();
    UUID[] tasks = deliveries.stream().map(Delivery::taskId).toArray(UUID[]::new);
    String[] urls = deliveries.stream().map(Delivery::url).toArray(String[]::new);
    String[] events = deliveries.stream().map(Delivery::event).toArray(String[]::new);
    return conn.preparedQuery(ENQUEUE).execute(Tuple.of(tasks, urls, events)).mapEmpty();
  }

  /**
   * Up to {@code limit} due deliveries with fewer than {@code maxAttempts} attempts, each counted
   * as one more attempt and due again after {@code leaseSeconds} in case its sender vanishes.
   */
  public Future<RowSet<Row>> claimDue(int maxAttempts, int limit, int leaseSeconds) {
    return pool.preparedQuery(CLAIM).execute(Tuple.of(maxAttempts, limit, leaseSeconds));
  }

  public Future<Void> delivered(long id, int status) {
    return pool.preparedQuery(DELIVERED).execute(Tuple.of(id, status)).mapEmpty();
  }

  /** A failed attempt: due again after {@code retryIn}. */
  public Future<Void> failed(long id, Duration retryIn, Integer status, String error) {
    return pool.preparedQuery(FAILED).execute(Tuple.of(id, retryIn.toMillis() / 1000.0, status, error)).mapEmpty();
  }

  /** Never to be tried again (its receiver is refused): its attempts set to the limit. */
  public Future<Void> gaveUp(long id, int maxAttempts, String error) {
    return pool.preparedQuery(GAVE_UP).execute(Tuple.of(id, maxAttempts, error)).mapEmpty();
  }

  /** Deletes up to {@code limit} finished deliveries older than {@code age}; returns how many. */
  public Future<Integer> prune(Duration age, int maxAttempts, int limit) {
    return pool.preparedQuery(PRUNE).execute(Tuple.of(age.toSeconds(), maxAttempts, limit)).map(RowSet::rowCount);
  }
}
