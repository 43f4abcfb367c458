package dev.kiln.task.store;

import dev.kiln.task.TaskEvent;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * The claim (DESIGN §2): one statement takes up to the free worker slots of a queue and what its
 * {@code max_concurrency} leaves, in the order the queue asks for, marks each running on its
 * slot's worker with its timeout, writes its {@code started} event, and starts its batch. The CTE
 * stops the planner updating more rows than the LIMIT; SKIP LOCKED lets claims pass each other;
 * the fence refuses a deposed leader's claim.
 */
final class TaskClaim {
  private TaskClaim() {}

  private static final String CLAIM =
      "WITH " + Fence.CTE + ", "
          + "cap AS (SELECT GREATEST(0, q.max_concurrency - (SELECT count(*) FROM tasks WHERE queue = $2 AND status = 'running')) AS n, "
          + "q.job_timeout FROM queue_configs q WHERE q.queue = $2 AND q.is_active), "
          // Candidates come from the two partial indexes (an OR over both would sort the whole queue),
          // a few more than the slots, in claim order; each is then locked by its key, in that order,
          // until enough are taken (a lateral lookup per candidate, so the plan cannot turn into a
          // scan of every waiting row, whatever the statistics of a queue table say at the moment).
          + "candidates AS MATERIALIZED (SELECT id, priority, fair_seq, created_at FROM "
          + "((SELECT id, priority, fair_seq, created_at FROM tasks WHERE queue = $2 AND status = 'pending'%2$s ORDER BY %1$s LIMIT $3 * 2) "
          + "UNION ALL (SELECT id, priority, fair_seq, created_at FROM tasks WHERE queue = $2 AND status = 'retrying' "
          + "AND next_retry_at <= now()%2$s ORDER BY next_retry_at LIMIT $3 * 2)) u ORDER BY %1$s), "
          + "picked AS (SELECT t.id FROM candidates k CROSS JOIN LATERAL (SELECT id FROM tasks WHERE id = k.id "
          + "AND (status = 'pending' OR (status = 'retrying' AND next_retry_at <= now())) AND NOT is_deleted "
          + "FOR UPDATE SKIP LOCKED) t WHERE EXISTS (SELECT 1 FROM fence) "
          + "LIMIT LEAST($3, COALESCE((SELECT n FROM cap), 0))), "
          + "numbered AS (SELECT id, row_number() OVER () AS rn FROM picked), "
          + "slots AS (SELECT w, n FROM unnest($4::text[]) WITH ORDINALITY AS s(w, n)), "
          // clock_timestamp(), not now(): an attempt's times are when its row changed, so the
          // recorded attempts of a task never overlap however transactions interleave.
          + "c AS (UPDATE tasks t SET status = 'running', attempt = t.attempt + 1, worker_id = slots.w, started_at = clock_timestamp(), "
          // the task's own timeout (a task config's) or else its queue's: a column of the row, no lookup more
          + "timeout_at = clock_timestamp() + make_interval(secs => coalesce(t.timeout_ms, (SELECT job_timeout FROM cap)) / 1000.0), "
          + "next_retry_at = NULL, "
          + "progress = 0, error_code = NULL, error_message = NULL "
          + "FROM numbered JOIN slots ON slots.n = numbered.rn WHERE t.id = numbered.id "
          + "RETURNING t.id, t.attempt, t.queue, t.worker_id, t.tool_action, t.input, t.source_image, t.reference_image, "
          + "t.created_at, t.started_at, t.timeout_at, t.batch_id, t.api_client_id, t.user_id, t.generation_request_id), "
          + String.format(BatchCounts.START_CTE, "c") + ", "
          + "e AS (INSERT INTO task_events (task_id, event_type, payload) "
          + "SELECT id, '" + TaskEvent.STARTED + "', jsonb_build_object('status', 'running', 'attempt', attempt, 'worker_id', worker_id) "
          + "FROM c RETURNING " + TaskEvent.INSERTED + ") "
          + "SELECT c.*, e.task_id, e.event_id, e.event_type, e.payload, e.event_created_at FROM c JOIN e ON e.task_id = c.id";

  /** Priority first; within a level tenants round-robin (fair_seq); then oldest first. */
  private static final String PRIORITY_ORDER = "priority DESC, fair_seq, created_at";
  /** Tenants round-robin, then oldest first. */
  private static final String FIFO_ORDER = "fair_seq, created_at";
  /**
   * For workers that cannot run some of the queue's actions (issue 13 placement): only in the
   * statements that need it, so a claim that excludes nothing is the statement it always was.
   */
  private static final String EXCLUDING = " AND tool_action <> ALL($5::text[])";

  private static final String BY_PRIORITY = String.format(CLAIM, PRIORITY_ORDER, "");
  private static final String FIFO = String.format(CLAIM, FIFO_ORDER, "");
  private static final String BY_PRIORITY_EXCLUDING = String.format(CLAIM, PRIORITY_ORDER, EXCLUDING);
  private static final String FIFO_EXCLUDING = String.format(CLAIM, FIFO_ORDER, EXCLUDING);

  /**
   * Starts up to one attempt per slot (each a worker id); fewer when the queue has less waiting or
   * less room. No task of an {@code excluded} action is taken: the slots' workers cannot run them.
   */
  static Future<List<Claimed>> claim(Pool pool, long epoch, String queue, List<String> slots, boolean byPriority,
                                     Collection<String> excluded) {
    Tuple args = Tuple.of(epoch, queue, slots.size(), slots.toArray(new String[0]));
    String sql = byPriority ? BY_PRIORITY : FIFO;
    if (!excluded.isEmpty()) {
      args.addArrayOfString(excluded.toArray(new String[0]));
      sql = byPriority ? BY_PRIORITY_EXCLUDING : FIFO_EXCLUDING;
    }
    return pool.preparedQuery(sql).execute(args)
        .compose(rows -> {
          List<Claimed> out = new ArrayList<>(rows.size());
          List<UUID> requestTasks = new ArrayList<>();
          for (Row r : rows) {
            out.add(new Claimed(r.getUUID("id"), r.getInteger("attempt"), r.getString("queue"), r.getString("worker_id"),
                r.getString("tool_action"), r.getJsonObject("input"), r.getString("source_image"), r.getString("reference_image"),
                r.getOffsetDateTime("created_at"), r.getOffsetDateTime("started_at"), r.getOffsetDateTime("timeout_at"),
                TaskEvent.of(r)));
            if (r.getUUID("generation_request_id") != null) requestTasks.add(r.getUUID("id"));
          }
          // A generation request's parts started: its own statement, after the claim and only for
          // such tasks (in the claim statement it cost every claim a fifth of its throughput).
          // The claim stands whatever becomes of it: the next recount derives the same from the tasks.
          return RequestProgress.started(pool, requestTasks).map(out);
        });
  }
}
