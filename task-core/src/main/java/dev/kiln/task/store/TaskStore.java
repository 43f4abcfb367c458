package dev.kiln.task.store;

import dev.kiln.common.db.Tx;
import dev.kiln.task.Backoff;
import dev.kiln.task.RetryPolicy;
import dev.kiln.task.TaskEvent;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * Every write of a task's lifecycle, in one place: create, create many (a batch), cancel,
 * retry, delete, restore, claim, settle, progress, prune. The HTTP role, the dispatcher and the
 * coming scheduler and pipeline call it; none writes task SQL of its own. Each method is one
 * transaction; the SQL lives in the step class named for it ({@code TaskInsert},
 * {@code TaskClaim}, {@code TaskSettle}, ...), and every status change ends with the same
 * {@code Bookkeeping}: credits, the webhook outbox and batch counters. Task configs' tasks come
 * through here too ({@link #fire}, {@link #runConfig}).
 *
 * <p>Events are returned, never published here: the caller publishes them after commit
 * ({@link TaskEvent#publish}), so nothing is announced that Postgres does not hold.
 */
public final class TaskStore {
  private static final String INSERT_BATCH =
      "INSERT INTO task_batches (id, api_client_id, user_id, tool_action, title, total_count, batch_size, prompt, negative_prompt, "
          + "width, height, num_inference_steps, guidance_scale, base_seed, metadata, webhook_url, request_hash) "
          + "VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";

  private final Pool pool;
  private final RetryPolicy policy;

  public TaskStore(Pool pool, RetryPolicy policy) {
    this.pool = pool;
    this.policy = policy;
  }

  public RetryPolicy policy() {
    return policy;
  }

  /**
   * Creates the tasks that are new, with their credit holds, in one transaction: all or none
   * ({@link InsufficientCredits} when a wallet cannot pay), returned in the order given. A task
   * whose tenant used its Idempotency-Key before is not created and not returned: the caller
   * replays the first.
   */
  public Future<List<Created>> create(List<NewTask> tasks) {
    return Tx.run(pool, conn -> insertAndHold(conn, tasks));
  }

  /**
   * Creates all of the tasks, or none: when any of them was created before (its tenant's
   * Idempotency-Key), the transaction rolls back and fails with {@link AlreadyCreated}.
   */
  public Future<List<Created>> createAll(List<NewTask> tasks) {
    return Tx.run(pool, conn -> insertAndHold(conn, tasks).compose(created -> created.size() == tasks.size()
        ? Future.succeededFuture(created)
        : Future.failedFuture(new AlreadyCreated(tasks.size() - created.size()))));
  }

  /** Some tasks of an all-or-nothing create exist already (a repeated Idempotency-Key): nothing was created. */
  public static final class AlreadyCreated extends RuntimeException {
    AlreadyCreated(int existing) {
      super(existing + " of the tasks exist already", null, false, false);
    }
  }

  /** A batch and its tasks, in one transaction; a batch id taken before fails with a unique violation (SQLSTATE 23505). */
  public Future<List<Created>> createBatch(NewBatch b, List<NewTask> tasks) {
    Tuple row = Tuple.of(b.id(), b.apiClientId(), b.userId(), b.toolAction(), b.title(), b.size(), b.prompt(), b.negativePrompt(),
        b.width(), b.height(), b.numInferenceSteps(), b.guidanceScale()).addValue(b.baseSeed()).addValue(b.metadata())
        .addString(b.webhookUrl()).addString(b.requestHash());
    return Tx.run(pool, conn -> conn.preparedQuery(INSERT_BATCH).execute(row).compose(v -> insertAndHold(conn, tasks)));
  }

  static Future<List<Created>> insertAndHold(io.vertx.sqlclient.SqlConnection conn, List<NewTask> tasks) {
    return TaskInsert.insert(conn, tasks).compose(rows -> {
      List<Created> created = new ArrayList<>(rows.size());
      List<Credits.Hold> holds = new ArrayList<>();
      for (Row r : rows) {
        created.add(new Created(r.getUUID("id"), r.getString("queue"), dev.kiln.task.TaskJson.of(r), TaskEvent.of(r)));
        if (r.getLong("points_cost") > 0) {
          holds.add(new Credits.Hold(r.getUUID("id"), r.getUUID("wallet_hold_id"), r.getString("api_client_id"),
              r.getString("user_id"), r.getLong("points_cost"), r.getString("tool_action")));
        }
      }
      return Credits.hold(conn, holds).map(v -> inOrder(tasks, created));
    });
  }

  /** The created tasks in the order they were asked for (RETURNING keeps no order); repeats left out. */
  private static List<Created> inOrder(List<NewTask> asked, List<Created> created) {
    Map<UUID, Created> byId = new HashMap<>();
    for (Created c : created) byId.put(c.id(), c);
    List<Created> out = new ArrayList<>(created.size());
    for (NewTask t : asked) {
      Created c = byId.get(t.id());
      if (c != null) out.add(c);
    }
    return out;
  }

  /** Cancels the task if it waits (pending, retrying); empty when it does not (it runs, ended, or is gone). */
  public Future<List<Cancelled>> cancelWaiting(UUID taskId) {
    return Tx.run(pool, conn -> TaskCancel.lockWaiting(conn, taskId)
        .compose(waiting -> TaskCancel.cancel(conn, waiting, "cancelled by its owner", false)));
  }

  /** Cancels every waiting task of the batch; its running ones end through the leading dispatcher. */
  public Future<List<Cancelled>> cancelWaitingInBatch(UUID batchId) {
    return Tx.run(pool, conn -> TaskCancel.lockWaitingInBatch(conn, batchId)
        .compose(waiting -> TaskCancel.cancel(conn, waiting, "batch cancelled by its owner", false)));
  }

  /** An owner's retry of an ended task; null when it is not failed, timed out or cancelled. */
  public Future<Retried> retry(UUID taskId) {
    return Tx.run(pool, conn -> TaskRetry.retry(conn, taskId));
  }

  public Future<Deleted> delete(UUID taskId) {
    return Tx.run(pool, conn -> TaskDelete.delete(conn, taskId));
  }

  public Future<Boolean> restore(UUID taskId) {
    return Tx.run(pool, conn -> TaskDelete.restore(conn, taskId));
  }

  /** The leader's claim on a queue: up to one attempt per slot (a worker id each). */
  public Future<List<Claimed>> claim(long epoch, String queue, List<String> slots, boolean byPriority) {
    return claim(epoch, queue, slots, byPriority, List.of());
  }

  /** As {@link #claim(long, String, List, boolean)}, taking no task of the {@code excluded} actions (the slots' workers cannot run them). */
  public Future<List<Claimed>> claim(long epoch, String queue, List<String> slots, boolean byPriority,
                                     java.util.Collection<String> excluded) {
    return TaskClaim.claim(pool, epoch, queue, slots, byPriority, excluded);
  }

  /**
   * Settles attempts with the store's {@link RetryPolicy} and each queue's backoff; returns those
   * that won. Fails with {@link Deposed} when {@code epoch} no longer leads.
   */
  public Future<List<Settled>> settle(long epoch, List<Settlement> settlements, Function<String, Backoff> backoffOf) {
    if (settlements.isEmpty()) return Future.succeededFuture(List.of());
    return TaskSettle.settle(pool, epoch, settlements, policy, backoffOf);
  }

  /**
   * The leader's fire of a task config's instants due by PostgreSQL's clock (instants more than
   * {@code grace} late follow its misfire policy): one task per instant that fires, and the
   * config's next instant. Fails with {@link Deposed} when {@code epoch} no longer leads.
   */
  public Future<Fired> fire(long epoch, long configId, Duration grace) {
    return TaskConfigFire.fire(pool, epoch, configId, grace);
  }

  /** A task config's task now, by hand (any scheduler type, even inactive); null when there is no such config. */
  public Future<Created> runConfig(long configId) {
    return TaskConfigFire.runNow(pool, configId);
  }

  /** Coarse progress of running attempts; returns the progress events written. */
  public Future<List<TaskEvent>> progress(List<ProgressReport> reports) {
    return TaskProgress.write(pool, reports);
  }

  /** Deletes up to {@code limit} events older than {@code age} of tasks that ended; returns how many. */
  public Future<Integer> pruneEvents(Duration age, int limit) {
    return TaskPrune.events(pool, age, limit);
  }

  /** Deletes up to {@code limit} tasks that ended longer than {@code age} ago, with their history; returns how many. */
  public Future<Integer> pruneTasks(Duration age, int limit) {
    return TaskPrune.tasks(pool, age, limit);
  }
}
