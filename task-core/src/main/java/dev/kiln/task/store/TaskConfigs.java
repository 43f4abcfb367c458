package dev.kiln.task.store;

import dev.kiln.common.db.Tx;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The {@code task_configs} table (seed 001): made, changed and deleted by the admin API, read by
 * the leading dispatcher's cache, and each config's history ({@code task_executions}). Firing a
 * config makes tasks, so it is the task core's ({@link TaskStore#fire}, {@link TaskStore#runConfig}).
 */
public final class TaskConfigs {
  private static final String ALL = "SELECT " + TaskConfig.COLUMNS + " FROM task_configs ORDER BY id";
  private static final String ONE = "SELECT " + TaskConfig.COLUMNS + " FROM task_configs WHERE id = $1";
  /** NO KEY UPDATE: a settlement's execution row (a key share through its foreign key) need not wait for a change. */
  private static final String LOCK = ONE + " FOR NO KEY UPDATE";
  private static final String INSERT = "INSERT INTO task_configs (name, task_type, scheduler_type, parameters, schedule_config, "
      + "max_retries, timeout_seconds, priority, is_active, misfire_policy, input_assets, next_run_at, api_client_id) "
      + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING " + TaskConfig.COLUMNS;
  private static final String UPDATE = "UPDATE task_configs SET name = $2, task_type = $3, scheduler_type = $4, parameters = $5, "
      + "schedule_config = $6, max_retries = $7, timeout_seconds = $8, priority = $9, is_active = $10, misfire_policy = $11, "
      + "input_assets = $12, next_run_at = $13 WHERE id = $1 RETURNING " + TaskConfig.COLUMNS;
  /**
   * Its tasks first, in id order, then the config: the order a settlement of one of them locks in
   * (its task, then the config through its execution's foreign key), so the two cannot deadlock.
   */
  private static final String LOCK_TASKS = "SELECT id FROM tasks WHERE config_id = $1 ORDER BY id FOR UPDATE";
  private static final String DELETE = "DELETE FROM task_configs WHERE id = $1";
  private static final String EXECUTIONS = "SELECT " + Execution.COLUMNS + " FROM task_executions e "
      + "WHERE e.config_id = $1 AND ($2::timestamptz IS NULL OR (e.started_at, e.id) < ($2, $3::bigint)) "
      + "ORDER BY e.started_at DESC, e.id DESC LIMIT $4";

  private final Pool pool;

  public TaskConfigs(Pool pool) {
    this.pool = pool;
  }

  /** Every config, by id: the admin list, and the dispatcher's cache at the start of a term and on its slow period. */
  public Future<List<TaskConfig>> all() {
    return pool.query(ALL).execute().map(rows -> {
      List<TaskConfig> out = new ArrayList<>();
      for (Row r : rows) out.add(TaskConfig.of(r));
      return out;
    });
  }

  /** One config, or null. */
  public Future<TaskConfig> get(long id) {
    return pool.preparedQuery(ONE).execute(Tuple.of(id)).map(rows -> rows.size() == 0 ? null : TaskConfig.of(rows.iterator().next()));
  }

  public Future<TaskConfig> insert(TaskConfig.Values v, String apiClientId) {
    return pool.preparedQuery(INSERT).execute(args(Tuple.tuple(), v).addString(apiClientId))
        .map(rows -> TaskConfig.of(rows.iterator().next()));
  }

  /**
   * Changes a config under its row lock: {@code change} gets it as it is and answers what it
   * becomes (or fails, and nothing changes). Null when there is no such config.
   */
  public Future<TaskConfig> update(long id, Function<TaskConfig, Future<TaskConfig.Values>> change) {
    return Tx.run(pool, conn -> conn.preparedQuery(LOCK).execute(Tuple.of(id)).compose(rows -> {
      if (rows.size() == 0) return Future.succeededFuture(null);
      return change.apply(TaskConfig.of(rows.iterator().next())).compose(v -> write(conn, id, v));
    }));
  }

  private static Future<TaskConfig> write(SqlConnection conn, long id, TaskConfig.Values v) {
    return conn.preparedQuery(UPDATE).execute(args(Tuple.of(id), v)).map(rows -> TaskConfig.of(rows.iterator().next()));
  }

  /** Deletes a config; its tasks and their executions stay, without it (ON DELETE SET NULL). False when there was none. */
  public Future<Boolean> delete(long id) {
    return Tx.run(pool, conn -> conn.preparedQuery(LOCK_TASKS).execute(Tuple.of(id))
        .compose(locked -> conn.preparedQuery(DELETE).execute(Tuple.of(id)))
        .map(rows -> rows.rowCount() > 0));
  }

  /** Where a page of executions ends: the last one's (started_at, id). */
  public record Position(OffsetDateTime startedAt, long id) {}

  /** One page of a config's executions, newest first, from after {@code after} (null: the first page). */
  public record Executions(List<JsonObject> items, Position next) {}

  public Future<Executions> executions(long configId, Position after, int limit) {
    Tuple args = Tuple.of(configId, after == null ? null : after.startedAt(), after == null ? null : after.id(), limit + 1);
    return pool.preparedQuery(EXECUTIONS).execute(args).map(rows -> {
      List<JsonObject> items = new ArrayList<>();
      Position next = null;
      for (Row r : rows) {
        if (items.size() == limit) break;
        items.add(Execution.json(r));
        next = new Position(r.getOffsetDateTime("started_at"), r.getLong("id"));
      }
      return new Executions(items, rows.size() > limit ? next : null);
    });
  }

  private static Tuple args(Tuple t, TaskConfig.Values v) {
    return t.addString(v.name()).addString(v.taskType()).addString(v.schedulerType().name()).addValue(v.parameters())
        .addValue(v.scheduleConfig()).addValue(v.maxRetries()).addValue(v.timeoutSeconds()).addInteger(v.priority())
        .addBoolean(v.isActive()).addString(v.misfirePolicy().value()).addValue(v.inputAssets()).addValue(v.nextRunAt());
  }
}
