package dev.kiln.task.store;

import dev.kiln.common.time.Iso;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/** The {@code queue_configs} table: read by the dispatcher, shown and changed by the admin API. */
public final class QueueConfigs {
  private static final String ALL = "SELECT " + QueueConfig.COLUMNS + " FROM queue_configs q";

  private static final String WITH_COUNTS = "SELECT " + QueueConfig.COLUMNS + ", q.updated_at, "
      + "coalesce(c.pending, 0) AS pending, coalesce(c.running, 0) AS running, coalesce(c.retrying, 0) AS retrying, "
      + "x.wait_ms, x.run_ms "
      + "FROM queue_configs q LEFT JOIN (SELECT queue, sum(n) FILTER (WHERE status = 'pending') AS pending, "
      + "sum(n) FILTER (WHERE status = 'running') AS running, sum(n) FILTER (WHERE status = 'retrying') AS retrying "
      + "FROM (" + TaskReads.DEPTHS + ") d GROUP BY queue) c ON c.queue = q.queue "
      + "LEFT JOIN (" + TaskReads.QUEUE_TIMES + ") x ON x.queue = q.queue ";
  private static final String LIST = WITH_COUNTS + "ORDER BY q.queue";
  private static final String ONE = WITH_COUNTS + "WHERE q.queue = $1";

  /** Absent fields are passed as NULL and keep their value. */
  private static final String UPDATE =
      "UPDATE queue_configs SET max_concurrency = COALESCE($2, max_concurrency), job_timeout = COALESCE($3, job_timeout), "
          + "max_retries = COALESCE($4, max_retries), retry_delay_base = COALESCE($5, retry_delay_base), "
          + "retry_delay_max = COALESCE($6, retry_delay_max), enable_priority = COALESCE($7, enable_priority), "
          + "is_active = COALESCE($8, is_active) WHERE queue = $1 RETURNING queue";

  /** A change the table's checks refuse (retry_delay_max below retry_delay_base). */
  public static final class Invalid extends RuntimeException {
    Invalid(String message) {
      super(message, null, false, false);
    }
  }

  /** The fields of an update; null keeps a field's value. */
  public record Change(Integer maxConcurrency, Integer jobTimeoutMs, Integer maxRetries, Integer retryDelayBaseMs,
                       Integer retryDelayMaxMs, Boolean enablePriority, Boolean isActive) {}

  private final Pool pool;

  public QueueConfigs(Pool pool) {
    this.pool = pool;
  }

  public Future<List<QueueConfig>> all() {
    return pool.query(ALL).execute().map(rows -> {
      List<QueueConfig> out = new ArrayList<>();
      for (Row r : rows) out.add(QueueConfig.of(r));
      return out;
    });
  }

  /** Every queue as the admin API shows it, with its pending, running and retrying counts and its recent wait and run times. */
  public Future<List<JsonObject>> list() {
    return pool.query(LIST).execute().map(rows -> {
      List<JsonObject> out = new ArrayList<>();
      for (Row r : rows) out.add(json(r));
      return out;
    });
  }

  /** One queue as the admin API shows it, or null. */
  public Future<JsonObject> get(String queue) {
    return pool.preparedQuery(ONE).execute(Tuple.of(queue)).map(rows -> rows.size() == 0 ? null : json(rows.iterator().next()));
  }

  /** True when the queue exists (and is changed); {@link Invalid} when the result would break a check. */
  public Future<Boolean> update(String queue, Change c) {
    return pool.preparedQuery(UPDATE).execute(Tuple.of(queue, c.maxConcurrency(), c.jobTimeoutMs(), c.maxRetries(),
            c.retryDelayBaseMs(), c.retryDelayMaxMs(), c.enablePriority(), c.isActive()))
        .recover(e -> Future.failedFuture(e instanceof PgException pg && "23514".equals(pg.getSqlState())
            ? new Invalid("retry_delay_max must be at least retry_delay_base") : e))
        .map(rows -> rows.rowCount() > 0);
  }

  private static JsonObject json(Row r) {
    return new JsonObject()
        .put("queue", r.getString("queue"))
        .put("max_concurrency", r.getInteger("max_concurrency"))
        .put("job_timeout", r.getInteger("job_timeout"))
        .put("max_retries", r.getInteger("max_retries"))
        .put("retry_delay_base", r.getInteger("retry_delay_base"))
        .put("retry_delay_max", r.getInteger("retry_delay_max"))
        .put("enable_priority", r.getBoolean("enable_priority"))
        .put("is_active", r.getBoolean("is_active"))
        .put("pending", r.getNumeric("pending").longValue())
        .put("running", r.getNumeric("running").longValue())
        .put("retrying", r.getNumeric("retrying").longValue())
        .put("times_window_seconds", TaskReads.QUEUE_TIMES_WINDOW_SECONDS)
        .put("wait_ms_p50", quantile(r, "wait_ms", 0))
        .put("wait_ms_p95", quantile(r, "wait_ms", 1))
        .put("run_ms_p50", quantile(r, "run_ms", 0))
        .put("run_ms_p95", quantile(r, "run_ms", 1))
        .put("updated_at", Iso.of(r.getOffsetDateTime("updated_at")));
  }

  /** The i-th of a {@link TaskReads#QUEUE_TIMES} quantile array, whole ms; null with no attempt in the window. */
  private static Long quantile(Row r, String column, int i) {
    Double[] q = r.getArrayOfDoubles(column);
    return q == null || q[i] == null ? null : Math.round(q[i]);
  }
}
