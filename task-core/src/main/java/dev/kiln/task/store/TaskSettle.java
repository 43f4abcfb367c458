package dev.kiln.task.store;

import dev.kiln.common.db.Tx;
import dev.kiln.task.Backoff;
import dev.kiln.task.RetryPolicy;
import dev.kiln.task.TaskEvent;
import dev.kiln.task.TaskStatus;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * Settlement of attempts (DESIGN §2 step 4), many in one transaction: lock the attempts still
 * running, let {@link RetryPolicy} decide each one in Java, write every decision in one
 * statement (the task, its {@code task_executions} row with the provider and cost the worker
 * reported, its output assets, its event), then the
 * {@link Bookkeeping} of the ended tasks. A stale, repeated or losing settlement finds no running
 * attempt and changes nothing; the fence refuses a deposed leader's.
 */
final class TaskSettle {
  private TaskSettle() {}

  private static final String LOCK =
      "SELECT " + LockedTask.COLUMNS + " FROM tasks WHERE id = ANY($1::uuid[]) AND status = 'running' ORDER BY id FOR UPDATE";

  private static final String APPLY =
      "WITH v AS (SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::bool[], $5::bool[], $6::float8[], $7::bool[], "
          + "$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[], $15::text[], "
          + "$16::text[], $17::text[], $18::float8[], $19::text[]) "
          + "AS v(id, attempt, status, spends_retry, lost, retry_delay_ms, ends, result, error_code, error_message, "
          + "error_traceback, outcome, assets, credits_consumed, event_type, provider, provider_job_id, gpu_seconds, logs)), "
          + "t AS (UPDATE tasks SET status = v.status, "
          + "progress = CASE WHEN v.status = 'completed' THEN 100 ELSE tasks.progress END, "
          + "result = CASE WHEN v.status = 'completed' THEN coalesce(tasks.result, '{}'::jsonb) || coalesce(v.result::jsonb, '{}'::jsonb) "
          + "ELSE tasks.result END, "
          + "error_code = CASE WHEN v.status = 'completed' THEN NULL ELSE v.error_code END, "
          + "error_message = CASE WHEN v.status = 'completed' THEN NULL ELSE v.error_message END, "
          + "retry_count = tasks.retry_count + v.spends_retry::int, lost_count = tasks.lost_count + v.lost::int, "
          + "handoff_count = tasks.handoff_count + (v.outcome = 'handoff_failed')::int, "
          + "next_retry_at = CASE WHEN v.retry_delay_ms IS NOT NULL THEN now() + make_interval(secs => v.retry_delay_ms / 1000.0) END, "
          + "timeout_at = NULL, execution_duration = (extract(epoch FROM now() - tasks.started_at) * 1000)::int, "
          + "finished_at = CASE WHEN v.ends THEN now() END, "
          + "completed_at = CASE WHEN v.status = 'completed' THEN now() END, "
          + "failed_at = CASE WHEN v.status IN ('failed', 'timeout') THEN now() END, "
          + "credits_consumed = coalesce(v.credits_consumed, tasks.credits_consumed), "
          // the provider of its last attempt that a worker reported on (a lost one says nothing of it)
          + "provider_name = coalesce(v.provider, tasks.provider_name), "
          + "provider_job_id = CASE WHEN v.provider IS NOT NULL THEN v.provider_job_id ELSE tasks.provider_job_id END "
          + "FROM v WHERE tasks.id = v.id AND tasks.attempt = v.attempt AND tasks.status = 'running' "
          + "RETURNING tasks.id, tasks.status, tasks.attempt, tasks.worker_id, tasks.started_at, tasks.retry_count, "
          + "tasks.next_retry_at, tasks.error_code, tasks.error_message, tasks.result, tasks.api_client_id, tasks.user_id, "
          + "tasks.config_id, tasks.scheduled_for, v.outcome, v.error_traceback, v.assets, v.event_type, "
          + "v.provider AS run_provider, v.provider_job_id AS run_job_id, v.gpu_seconds, v.logs), "
          // a config's task's runs are its config's history (seed 001 TaskExecution.config_id)
          + "x AS (INSERT INTO task_executions (task_id, attempt, worker_id, outcome, is_success, started_at, completed_at, "
          + "duration_seconds, result, error_code, error_message, error_traceback, config_id, scheduled_for, "
          + "provider_name, provider_job_id, gpu_seconds, logs) "
          + "SELECT id, attempt, worker_id, outcome, status = 'completed', started_at, clock_timestamp(), "
          + "extract(epoch FROM clock_timestamp() - started_at), CASE WHEN status = 'completed' THEN result END, "
          + "error_code, error_message, error_traceback, config_id, scheduled_for, "
          + "run_provider, run_job_id, gpu_seconds, logs FROM t), "
          + "a AS (INSERT INTO task_assets (id, task_id, asset_type, object_key, file_name, mime_type, size_bytes, width, height, checksum) "
          + "SELECT j.id, t.id, j.asset_type, j.object_key, j.file_name, j.mime_type, j.size_bytes, j.width, j.height, j.checksum "
          + "FROM t, jsonb_to_recordset(t.assets::jsonb) AS j(id uuid, asset_type text, object_key text, file_name text, mime_type text, "
          + "size_bytes bigint, width int, height int, checksum text) WHERE t.status = 'completed'), "
          + "e AS (INSERT INTO task_events (task_id, event_type, payload) "
          + "SELECT id, event_type, jsonb_strip_nulls(jsonb_build_object('status', status, 'attempt', attempt, "
          + "'progress', CASE WHEN status = 'completed' THEN 100 END, 'result', CASE WHEN status = 'completed' THEN result END, "
          + "'error_code', error_code, 'error_message', error_message, 'retry_count', retry_count, 'next_retry_at', next_retry_at)) "
          + "FROM t RETURNING " + TaskEvent.INSERTED + ") "
          + "SELECT t.id, t.next_retry_at, t.api_client_id, t.user_id, e.event_id, e.task_id, e.event_type, e.payload, "
          + "e.event_created_at FROM t JOIN e ON e.task_id = t.id";

  /**
   * Settles what it can; returns the settlements that won (one per attempt at most: a second
   * settlement of the same attempt in the batch loses, as it would a moment later).
   */
  static Future<List<Settled>> settle(Pool pool, long epoch, List<Settlement> settlements, RetryPolicy policy,
                                      Function<String, Backoff> backoffOf) {
    Map<String, Settlement> byAttempt = new LinkedHashMap<>();
    for (Settlement s : settlements) byAttempt.putIfAbsent(s.key(), s);
    UUID[] ids = byAttempt.values().stream().map(Settlement::taskId).distinct().toArray(UUID[]::new);
    return Tx.run(pool, conn -> {
      Future<Void> fenced = Fence.hold(conn, epoch);
      Future<List<LockedTask>> locked = conn.preparedQuery(LOCK).execute(Tuple.of((Object) ids)).map(rows -> {
        List<LockedTask> out = new ArrayList<>();
        for (Row r : rows) out.add(LockedTask.of(r));
        return out;
      });
      return Future.all(fenced, locked).compose(v -> apply(conn, locked.result(), byAttempt, policy, backoffOf));
    });
  }

  private record Decided(Settlement settlement, LockedTask before, RetryPolicy.Decision decision) {}

  private static Future<List<Settled>> apply(SqlConnection conn, List<LockedTask> locked, Map<String, Settlement> byAttempt,
                                             RetryPolicy policy, Function<String, Backoff> backoffOf) {
    List<Decided> decided = new ArrayList<>();
    for (LockedTask t : locked) {
      Settlement s = byAttempt.get(t.id() + ":" + t.attempt());
      if (s == null) continue; // the task runs another attempt now: this report is stale
      RetryPolicy.Decision d = policy.decide(s.outcome(), s.retryable(), t.counters(), backoffOf.apply(t.queue()));
      if (!t.status().canMoveTo(d.status())) throw new IllegalStateException(t.status() + " -> " + d.status() + " for " + t.id());
      decided.add(new Decided(s, t, d));
    }
    if (decided.isEmpty()) return Future.succeededFuture(List.of());
    int n = decided.size();
    UUID[] id = new UUID[n];
    Integer[] attempt = new Integer[n];
    String[] status = new String[n], result = new String[n], code = new String[n], message = new String[n];
    String[] trace = new String[n], outcome = new String[n], assets = new String[n], type = new String[n];
    Boolean[] spends = new Boolean[n], lost = new Boolean[n], ends = new Boolean[n];
    Double[] delay = new Double[n];
    Long[] consumed = new Long[n];
    String[] provider = new String[n], jobId = new String[n], logs = new String[n];
    Double[] gpuSeconds = new Double[n];
    List<Bookkeeping.Change> changes = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Decided x = decided.get(i);
      Settlement s = x.settlement();
      RetryPolicy.Decision d = x.decision();
      id[i] = s.taskId();
      attempt[i] = s.attempt();
      status[i] = d.status().value();
      spends[i] = d.spendsRetry();
      lost[i] = d.lost();
      delay[i] = d.retryDelayMs() == null ? null : d.retryDelayMs().doubleValue();
      ends[i] = d.ends();
      JsonArray files = s.assets() == null ? new JsonArray() : s.assets();
      if (d.status() == TaskStatus.COMPLETED) {
        files = withIds(files);
        JsonObject r = s.result() == null ? new JsonObject() : s.result().copy();
        result[i] = r.put("outputs", outputs(files)).encode();
      } else {
        result[i] = s.result() == null ? null : s.result().encode();
      }
      code[i] = s.errorCode();
      message[i] = s.errorMessage();
      trace[i] = s.errorTraceback();
      outcome[i] = s.outcome().value();
      assets[i] = files.encode();
      consumed[i] = d.ends() && x.before().priced() ? (d.status() == TaskStatus.COMPLETED ? x.before().pointsCost() : 0L) : null;
      type[i] = TaskEvent.typeOf(d.status());
      if (s.run() != null) {
        provider[i] = s.run().provider();
        jobId[i] = s.run().providerJobId();
        gpuSeconds[i] = s.run().gpuSeconds();
        logs[i] = s.run().logs();
      }
      changes.add(new Bookkeeping.Change(x.before(), d.status()));
    }
    Tuple args = Tuple.tuple().addArrayOfUUID(id).addArrayOfInteger(attempt).addArrayOfString(status).addArrayOfBoolean(spends)
        .addArrayOfBoolean(lost).addArrayOfDouble(delay).addArrayOfBoolean(ends).addArrayOfString(result).addArrayOfString(code)
        .addArrayOfString(message).addArrayOfString(trace).addArrayOfString(outcome).addArrayOfString(assets)
        .addArrayOfLong(consumed).addArrayOfString(type)
        .addArrayOfString(provider).addArrayOfString(jobId).addArrayOfDouble(gpuSeconds).addArrayOfString(logs);
    Future<List<Settled>> written = conn.preparedQuery(APPLY).execute(args).map(rows -> {
      Map<UUID, Row> byId = new HashMap<>();
      for (Row r : rows) byId.put(r.getUUID("id"), r);
      List<Settled> out = new ArrayList<>(n);
      for (Decided x : decided) {
        Row r = byId.get(x.settlement().taskId());
        if (r == null) continue; // cannot happen under the row lock; settled nothing if it did
        out.add(new Settled(x.settlement(), x.before().queue(), x.before().workerId(), x.before().startedAt(), x.decision(),
            r.getOffsetDateTime("next_retry_at"), TaskEvent.of(r)));
      }
      return out;
    });
    Future<Void> kept = Bookkeeping.after(conn, changes);
    return Future.all(written, kept).map(v -> written.result());
  }

  /** The settlement's files, each with the id its task_assets row will have (made here, so the result can name it). */
  private static JsonArray withIds(JsonArray files) {
    JsonArray out = new JsonArray(new ArrayList<>(files.size()));
    for (Object o : files) out.add(((JsonObject) o).copy().put("id", UUID.randomUUID().toString()));
    return out;
  }

  /**
   * {@code result.outputs}: what a completed task made, kept in its result (and so in its
   * completed event and webhook) so no read needs a join to name it; the URL is signed when shown.
   */
  static JsonArray outputs(JsonArray files) {
    JsonArray out = new JsonArray(new ArrayList<>(files.size()));
    for (Object o : files) {
      JsonObject f = (JsonObject) o;
      out.add(new JsonObject().put("asset_id", f.getString("id")).put("kind", f.getString("asset_type"))
          .put("mime_type", f.getString("mime_type")).put("width", f.getInteger("width")).put("height", f.getInteger("height"))
          .put("size_bytes", f.getLong("size_bytes")));
    }
    return out;
  }
}
