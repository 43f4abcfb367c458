package dev.kiln.dispatcher;

import io.vertx.sqlclient.Row;

/** A {@code queue_configs} row (DESIGN §4), as the leader last read it. */
record QueueConfig(String name, int maxConcurrency, int jobTimeout, int maxRetries, int retryDelayBase,
                   int retryDelayMax, boolean enablePriority, boolean isActive) {
  static QueueConfig of(Row r) {
    return new QueueConfig(r.getString("queue_name"), r.getInteger("max_concurrency"), r.getInteger("job_timeout"),
        r.getInteger("max_retries"), r.getInteger("retry_delay_base"), r.getInteger("retry_delay_max"),
        r.getBoolean("enable_priority"), r.getBoolean("is_active"));
  }
}
