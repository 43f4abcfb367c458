package dev.kiln.task.store;

import dev.kiln.task.Backoff;
import io.vertx.sqlclient.Row;

/**
 * A {@code queue_configs} row (seed 003 QueueConfig, DESIGN §4): what the dispatcher enforces
 * for one queue. Times are milliseconds (the columns keep seed 003's names).
 */
public record QueueConfig(String queue, int maxConcurrency, int jobTimeoutMs, int maxRetries, int retryDelayBaseMs,
                          int retryDelayMaxMs, boolean enablePriority, boolean isActive) {
  static final String COLUMNS =
      "q.queue, q.max_concurrency, q.job_timeout, q.max_retries, q.retry_delay_base, q.retry_delay_max, q.enable_priority, q.is_active";

  static QueueConfig of(Row r) {
    return new QueueConfig(r.getString("queue"), r.getInteger("max_concurrency"), r.getInteger("job_timeout"),
        r.getInteger("max_retries"), r.getInteger("retry_delay_base"), r.getInteger("retry_delay_max"),
        r.getBoolean("enable_priority"), r.getBoolean("is_active"));
  }

  /** The backoff of this queue's retries. */
  public Backoff backoff() {
    return new Backoff(retryDelayBaseMs, retryDelayMaxMs);
  }
}
