package dev.kiln.task.store;

import dev.kiln.task.TaskEvent;
import dev.kiln.task.TaskJson;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Reads of tasks, their assets and events, for the API and the dispatcher. Every owned lookup
 * takes a {@link Scope}: another tenant's task reads as absent, never as forbidden.
 */
public final class TaskReads {
  private static final String GET = "SELECT " + TaskJson.COLUMNS + " FROM tasks WHERE id = $1 AND NOT is_deleted AND " + Scope.sql("", 2, 3);
  private static final String DELETED = "SELECT is_deleted FROM tasks WHERE id = $1 AND " + Scope.sql("", 2, 3);

  /** One page, newest first, keyset-paginated on (created_at, id); every filter optional. */
  private static final String LIST = "SELECT " + TaskJson.COLUMNS + " FROM tasks WHERE is_deleted = $4 AND " + Scope.sql("", 2, 3)
      + " AND ($5::text IS NULL OR status = $5) AND ($6::text IS NULL OR tool_action = $6)"
      + " AND ($7::uuid IS NULL OR batch_id = $7) AND ($8::text IS NULL OR channel = $8)"
      + " AND ($9::timestamptz IS NULL OR created_at >= $9) AND ($10::timestamptz IS NULL OR created_at < $10)"
      + " AND ($11::timestamptz IS NULL OR (created_at, id) < ($11, $1::uuid))"
      + " ORDER BY created_at DESC, id DESC LIMIT $12";

  private static final String BY_IDEMPOTENCY_KEY =
      "SELECT request_hash, " + TaskJson.COLUMNS + " FROM tasks WHERE tenant = $1 AND idempotency_key = $2";

  private static final String ASSETS = "SELECT " + TaskAsset.COLUMNS + " FROM task_assets a JOIN tasks t ON t.id = a.task_id "
      + "WHERE a.task_id = $1 AND NOT t.is_deleted AND " + Scope.sql("t", 2, 3) + " ORDER BY a.created_at, a.id";

  /** An image a new task may name: the caller's upload, or an image asset of a live task the caller may see. */
  private static final String INPUT_IMAGE =
      "SELECT object_key, mime_type, size_bytes, width, height, checksum FROM files WHERE id = $1 AND " + Scope.sql("", 2, 3)
          + " UNION ALL SELECT a.object_key, a.mime_type, a.size_bytes, a.width, a.height, a.checksum "
          + "FROM task_assets a JOIN tasks t ON t.id = a.task_id WHERE a.id = $1 AND NOT t.is_deleted AND " + Scope.sql("t", 2, 3)
          + " LIMIT 1";

  /** A task's attempts, oldest first (the task's own scope check is {@link #get}'s, made first by the caller). */
  private static final String ATTEMPTS = "SELECT " + Execution.COLUMNS + " FROM task_executions e JOIN tasks t ON t.id = e.task_id "
      + "WHERE e.task_id = $1 AND NOT t.is_deleted AND " + Scope.sql("t", 2, 3) + " ORDER BY e.attempt, e.id";

  private static final String EVENTS = "SELECT e.id AS event_id, e.task_id, e.event_type, e.payload, e.created_at AS event_created_at, "
      + "t.api_client_id, t.user_id FROM task_events e JOIN tasks t ON t.id = e.task_id ";
  private static final String TASK_EVENTS_AFTER = EVENTS + "WHERE e.task_id = $1 AND e.id > $2 ORDER BY e.id LIMIT $3";
  /** Events of a scope's tasks after an id, oldest first. */
  private static final String SCOPE_EVENTS_AFTER = EVENTS + "WHERE e.id > $1 AND " + Scope.sql("t", 2, 3) + " ORDER BY e.id LIMIT $4";
  /**
   * Events after an id of the tasks some open streams follow: of these clients' tasks, of these
   * tasks, or (when $4) of every task.
   */
  private static final String FOLLOWED_EVENTS_AFTER = EVENTS + "WHERE e.id > $1 AND ($4 OR t.api_client_id = ANY($2::text[]) "
      + "OR e.task_id = ANY($3::uuid[])) ORDER BY e.id LIMIT $5";
  private static final String NEWEST_EVENT = "SELECT coalesce(max(id), 0) AS id FROM task_events";

  private static final String ATTEMPT = "SELECT id, attempt, queue, worker_id, started_at FROM tasks ";
  private static final String RUNNING = ATTEMPT + "WHERE status = 'running'";
  private static final String RUNNING_IN_BATCH = ATTEMPT + "WHERE batch_id = $1 AND status = 'running'";
  private static final String RUNNING_IN_REQUEST = ATTEMPT + "WHERE generation_request_id = $1 AND status = 'running'";
  private static final String TIMED_OUT = ATTEMPT + "WHERE status = 'running' AND timeout_at < now() LIMIT $1";
  /** Running attempts claimed more than $2 ms ago on a worker that is not live ($1). */
  private static final String ORPHANED = ATTEMPT + "WHERE status = 'running' AND NOT (worker_id = ANY($1::text[])) "
      + "AND started_at < now() - make_interval(secs => $2 / 1000.0) LIMIT $3";
  /** Each status through its own partial index: the counts cost what waits and runs, not the history. */
  static final String DEPTHS =
      "SELECT queue, 'pending' AS status, count(*) AS n FROM tasks WHERE status = 'pending' GROUP BY queue "
          + "UNION ALL SELECT queue, 'retrying', count(*) FROM tasks WHERE status = 'retrying' GROUP BY queue "
          + "UNION ALL SELECT queue, 'running', count(*) FROM tasks WHERE status = 'running' GROUP BY queue";
  /** The span {@link #QUEUE_TIMES} looks back over. */
  public static final int QUEUE_TIMES_WINDOW_SECONDS = 3600;
  /**
   * Each queue's wait and run times over the attempts that ended in the last
   * {@link #QUEUE_TIMES_WINDOW_SECONDS}, in ms: {@code wait_ms}, from a task's creation to its
   * first attempt's start (a retry's wait is its backoff, policy rather than load), and
   * {@code run_ms}, how long a completed attempt ran; each {p50, p95}, NULL with none in the
   * span. The span is a range on completed_at, which V9's BRIN index keeps to the last hour's
   * pages whatever the table's size; each row then finds its task by primary key.
   */
  static final String QUEUE_TIMES =
      "SELECT t.queue, "
          + "percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY extract(epoch FROM e.started_at - t.created_at) * 1000) "
          + "FILTER (WHERE e.attempt = 1) AS wait_ms, "
          + "percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY e.duration_seconds * 1000) "
          + "FILTER (WHERE e.outcome = 'completed') AS run_ms "
          + "FROM task_executions e JOIN tasks t ON t.id = e.task_id "
          + "WHERE e.completed_at >= now() - make_interval(secs => " + QUEUE_TIMES_WINDOW_SECONDS + ") GROUP BY t.queue";

  /**
   * The leader's sample of every queue, {@link #DEPTHS} through the same partial indexes (their
   * columns carry created_at and next_retry_at, so it stays index-only): also how many want a
   * slot now ({@code due}: pending, retrying whose time came, running) and since when the oldest
   * of those waits ({@code oldest_s}: a pending task since its creation, a retrying one since it
   * became due).
   */
  static final String QUEUE_SAMPLE =
      "SELECT queue, 'pending' AS status, count(*) AS n, count(*) AS due, "
          + "extract(epoch FROM now() - min(created_at))::float8 AS oldest_s FROM tasks WHERE status = 'pending' GROUP BY queue "
          + "UNION ALL SELECT queue, 'retrying', count(*), count(*) FILTER (WHERE next_retry_at <= now()), "
          + "extract(epoch FROM now() - min(next_retry_at) FILTER (WHERE next_retry_at <= now()))::float8 "
          + "FROM tasks WHERE status = 'retrying' GROUP BY queue "
          + "UNION ALL SELECT queue, 'running', count(*), count(*), NULL FROM tasks WHERE status = 'running' GROUP BY queue";

  private final Pool pool;

  public TaskReads(Pool pool) {
    this.pool = pool;
  }

  /** The task as the API shows it, or null when the scope does not see it. */
  public Future<JsonObject> get(Scope scope, UUID id) {
    return pool.preparedQuery(GET).execute(owned(scope, id)).map(rows -> rows.size() == 0 ? null : TaskJson.of(rows.iterator().next()));
  }

  /** Whether the task is in the recycle bin; null when the scope does not see it at all. */
  public Future<Boolean> deleted(Scope scope, UUID id) {
    return pool.preparedQuery(DELETED).execute(owned(scope, id))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getBoolean("is_deleted"));
  }

  public Future<Page<JsonObject>> list(Scope scope, TaskFilter f) {
    Tuple args = Tuple.of(f.afterId(), scope.apiClientId(), scope.userId(), f.deleted(), f.status(), f.toolAction(), f.batchId(),
        f.channel(), f.createdAfter(), f.createdBefore(), f.afterCreatedAt(), f.limit() + 1);
    return pool.preparedQuery(LIST).execute(args).map(rows -> page(rows, f.limit(), TaskJson::of));
  }

  /** A page of rows fetched with one more than the page size: that one says there is more. */
  static <T> Page<T> page(RowSet<Row> rows, int limit, java.util.function.Function<Row, T> item) {
    List<T> items = new ArrayList<>();
    Row last = null;
    for (Row r : rows) {
      if (items.size() == limit) {
        return new Page<>(items, new Page.Position(last.getOffsetDateTime("created_at"), last.getUUID("id")));
      }
      items.add(item.apply(r));
      last = r;
    }
    return new Page<>(items, null);
  }

  /** The task a tenant's Idempotency-Key created, with the hash of the request that made it ({@code request_hash}); null when none. */
  public Future<JsonObject> byIdempotencyKey(String tenant, String key) {
    return pool.preparedQuery(BY_IDEMPOTENCY_KEY).execute(Tuple.of(tenant, key)).map(rows -> {
      if (rows.size() == 0) return null;
      Row r = rows.iterator().next();
      return new JsonObject().put("request_hash", r.getString("request_hash")).put("task", TaskJson.of(r));
    });
  }

  public Future<List<TaskAsset>> assets(Scope scope, UUID taskId) {
    return pool.preparedQuery(ASSETS).execute(owned(scope, taskId)).map(rows -> {
      List<TaskAsset> out = new ArrayList<>();
      for (Row r : rows) out.add(TaskAsset.of(r));
      return out;
    });
  }

  /** The stored image an input field names (object_key, mime_type, size_bytes, width, height, checksum), or null. */
  public Future<JsonObject> inputImage(Scope scope, UUID ref) {
    return pool.preparedQuery(INPUT_IMAGE).execute(owned(scope, ref)).map(rows -> rows.size() == 0 ? null : rows.iterator().next().toJson());
  }

  /** The task's ended attempts ({@code task_executions}), oldest first; empty when the scope does not see it. */
  public Future<List<JsonObject>> attempts(Scope scope, UUID taskId) {
    return pool.preparedQuery(ATTEMPTS).execute(owned(scope, taskId)).map(rows -> {
      List<JsonObject> out = new ArrayList<>(rows.size());
      for (Row r : rows) out.add(Execution.json(r));
      return out;
    });
  }

  public Future<List<TaskEvent>> eventsAfter(UUID taskId, long afterId, int limit) {
    return pool.preparedQuery(TASK_EVENTS_AFTER).execute(Tuple.of(taskId, afterId, limit)).map(TaskReads::events);
  }

  /** The events of every task the scope sees, after {@code afterId}, oldest first. */
  public Future<List<TaskEvent>> eventsAfter(Scope scope, long afterId, int limit) {
    return pool.preparedQuery(SCOPE_EVENTS_AFTER).execute(Tuple.of(afterId, scope.apiClientId(), scope.userId(), limit))
        .map(TaskReads::events);
  }

  /** The events after {@code afterId} of the tasks of {@code clients}, of {@code tasks}, or of all when {@code everything}. */
  public Future<List<TaskEvent>> eventsAfter(long afterId, List<String> clients, List<UUID> tasks, boolean everything, int limit) {
    return pool.preparedQuery(FOLLOWED_EVENTS_AFTER).execute(Tuple.of(afterId, clients.toArray(new String[0]),
        tasks.toArray(new UUID[0]), everything, limit)).map(TaskReads::events);
  }

  public Future<Long> newestEventId() {
    return pool.query(NEWEST_EVENT).execute().map(rows -> rows.iterator().next().getLong("id"));
  }

  private static List<TaskEvent> events(RowSet<Row> rows) {
    List<TaskEvent> out = new ArrayList<>(rows.size());
    for (Row r : rows) out.add(TaskEvent.of(r));
    return out;
  }

  public Future<List<RunningAttempt>> running() {
    return pool.query(RUNNING).execute().map(TaskReads::attempts);
  }

  public Future<List<RunningAttempt>> runningInBatch(UUID batchId) {
    return pool.preparedQuery(RUNNING_IN_BATCH).execute(Tuple.of(batchId)).map(TaskReads::attempts);
  }

  /** The running attempts of a generation request's images and model. */
  public Future<List<RunningAttempt>> runningInRequest(UUID requestId) {
    return pool.preparedQuery(RUNNING_IN_REQUEST).execute(Tuple.of(requestId)).map(TaskReads::attempts);
  }

  /** Running attempts past their timeout. */
  public Future<List<RunningAttempt>> timedOut(int limit) {
    return pool.preparedQuery(TIMED_OUT).execute(Tuple.of(limit)).map(TaskReads::attempts);
  }

  /**
   * Running attempts on a worker not among {@code liveWorkers}, claimed more than
   * {@code olderThanMs} ago (so a hand-off in flight to a worker not heard yet is not one).
   */
  public Future<List<RunningAttempt>> orphaned(List<String> liveWorkers, long olderThanMs, int limit) {
    return pool.preparedQuery(ORPHANED).execute(Tuple.of(liveWorkers.toArray(new String[0]), olderThanMs, limit))
        .map(TaskReads::attempts);
  }

  private static List<RunningAttempt> attempts(RowSet<Row> rows) {
    List<RunningAttempt> out = new ArrayList<>(rows.size());
    for (Row r : rows) {
      out.add(new RunningAttempt(r.getUUID("id"), r.getInteger("attempt"), r.getString("queue"), r.getString("worker_id"),
          r.getOffsetDateTime("started_at")));
    }
    return out;
  }

  /** {@link #QUEUE_SAMPLE}'s rows: {queue, status, n, due, oldest_s} (absent: none in that status). */
  public Future<List<JsonObject>> queueSample() {
    return pool.query(QUEUE_SAMPLE).execute().map(rows -> {
      List<JsonObject> out = new ArrayList<>();
      for (Row r : rows) out.add(r.toJson());
      return out;
    });
  }

  private static Tuple owned(Scope scope, UUID id) {
    return Tuple.of(id, scope.apiClientId(), scope.userId());
  }
}
