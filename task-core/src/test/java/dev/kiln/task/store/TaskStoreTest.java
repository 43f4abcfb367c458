package dev.kiln.task.store;

import static dev.kiln.task.store.StoreFixture.await;
import static dev.kiln.task.store.StoreFixture.task;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.task.AttemptOutcome;
import dev.kiln.task.Backoff;
import dev.kiln.task.RetryPolicy;
import dev.kiln.task.TaskStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The task core against a real PostgreSQL: every write of the lifecycle, its exactly-once rules,
 * its bookkeeping (credits, batch counters, the webhook outbox) and its fencing, without a node.
 */
class TaskStoreTest {
  @RegisterExtension static final StoreFixture db = new StoreFixture();
  static final Function<String, Backoff> BACKOFF = q -> new Backoff(1_000, 60_000);

  @BeforeEach
  void emptyQueue() throws Exception {
    db.sql.update("UPDATE tasks SET status = 'cancelled', finished_at = now() WHERE status IN ('pending', 'retrying', 'running')");
    db.queue(16, true);
  }

  private Claimed claimOne(String worker) throws Exception {
    List<Claimed> c = await(db.store.claim(db.epoch, "debug", List.of(worker), true));
    assertEquals(1, c.size(), "one attempt claimed");
    return c.get(0);
  }

  private static Settlement report(Claimed c, AttemptOutcome outcome, boolean retryable) {
    JsonArray assets = new JsonArray();
    if (outcome == AttemptOutcome.COMPLETED) {
      assets.add(new JsonObject().put("asset_type", "output").put("object_key", "tasks/" + c.taskId() + "/out.png")
          .put("file_name", "out.png").put("mime_type", "image/png").put("size_bytes", 3).put("width", 1).put("height", 1)
          .put("checksum", "abc"));
    }
    return new Settlement(c.taskId(), c.attempt(), outcome, retryable, outcome == AttemptOutcome.COMPLETED
        ? new JsonObject().put("ok", true) : null, outcome == AttemptOutcome.FAILED ? "executor_error" : null,
        outcome == AttemptOutcome.FAILED ? "it broke" : null, null, assets);
  }

  @Test
  void aTaskIsCreatedClaimedAndSettledOnceWithItsHistory() throws Exception {
    List<Created> created = await(db.store.create(List.of(task("a", null, 0))));
    assertEquals(1, created.size());
    assertEquals("created", created.get(0).event().type());
    assertEquals("a", created.get(0).event().apiClientId(), "an event carries its task's owner");
    Claimed c = claimOne("w-1");
    assertEquals(created.get(0).id(), c.taskId());
    assertEquals("started", c.started().type());
    assertEquals(1, c.attempt());

    List<Settled> won = await(db.store.settle(db.epoch, List.of(report(c, AttemptOutcome.COMPLETED, false)), BACKOFF));
    assertEquals(1, won.size());
    assertEquals(TaskStatus.COMPLETED, won.get(0).status());
    assertEquals("completed", won.get(0).event().type());
    assertTrue(await(db.store.settle(db.epoch, List.of(report(c, AttemptOutcome.FAILED, true)), BACKOFF)).isEmpty(),
        "a second report of the attempt settles nothing");

    assertEquals("completed", db.status(c.taskId()));
    assertEquals(List.of(Map.of("outcome", "completed", "is_success", true)),
        db.sql.rows("SELECT outcome, is_success FROM task_executions WHERE task_id = ?", c.taskId()));
    assertEquals(1, db.sql.count("SELECT count(*) FROM task_assets WHERE task_id = ? AND asset_type = 'output'", c.taskId()));
    assertEquals(List.of("created", "started", "completed"), types(c.taskId()));
    JsonObject task = await(db.reads.get(Scope.ALL, c.taskId()));
    assertEquals(true, task.getJsonObject("result").getBoolean("ok"));
    assertEquals(100, task.getInteger("progress"));
  }

  @Test
  void aCreatedEventIsAsOldAsItsTaskNotOlder() throws Exception {
    List<Created> created = await(db.store.create(List.of(task("a", null, 0), task("a", null, 0), task("b", null, 0))));
    for (Created c : created) {
      assertEquals(0, db.sql.count("SELECT count(*) FROM task_events e JOIN tasks t ON t.id = e.task_id "
          + "WHERE t.id = ? AND e.event_type = 'created' AND e.created_at <> t.created_at", c.id()),
          "the created event carries its task's created_at");
    }
  }

  private List<Object> types(UUID task) throws Exception {
    return db.sql.rows("SELECT event_type FROM task_events WHERE task_id = ? ORDER BY id", task).stream()
        .map(r -> r.get("event_type")).toList();
  }

  @Test
  void aDeposedLeaderSettlesNothing() throws Exception {
    await(db.store.create(List.of(task("a", null, 0))));
    Claimed c = claimOne("w-1");
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> await(db.store.settle(db.epoch - 1, List.of(report(c, AttemptOutcome.COMPLETED, false)), BACKOFF)));
    assertInstanceOf(Deposed.class, e.getCause());
    assertEquals("running", db.status(c.taskId()));
    assertTrue(await(db.store.claim(db.epoch - 1, "debug", List.of("w-1"), true)).isEmpty(), "nor claims anything");
  }

  @Test
  void aRetryableFailureWaitsItsBackoffAndALostWorkerRequeuesUpToTheBound() throws Exception {
    await(db.store.create(List.of(task("a", null, 0))));
    Claimed c = claimOne("w-1");
    Settled s = await(db.store.settle(db.epoch, List.of(report(c, AttemptOutcome.FAILED, true)), BACKOFF)).get(0);
    assertEquals(TaskStatus.RETRYING, s.status());
    assertEquals("retrying", s.event().type());
    assertNotNull(s.nextRetryAt());
    Map<String, Object> row = db.sql.rows("SELECT retry_count, extract(epoch FROM next_retry_at - now()) * 1000 AS wait_ms "
        + "FROM tasks WHERE id = ?", c.taskId()).get(0);
    assertEquals(1, row.get("retry_count"));
    double wait = ((Number) row.get("wait_ms")).doubleValue();
    assertTrue(wait > 500 && wait <= 1_000, "jittered into [d/2, d] of 1 s: " + wait);
    assertTrue(await(db.store.claim(db.epoch, "debug", List.of("w-1"), true)).isEmpty(), "not claimed before it is due");

    db.sql.update("UPDATE tasks SET next_retry_at = now() WHERE id = ?", c.taskId());
    for (int lost = 1; lost <= 4; lost++) {
      Claimed again = claimOne("w-" + lost);
      Settled l = await(db.store.settle(db.epoch, List.of(Settlement.decided(again.taskId(), again.attempt(),
          AttemptOutcome.WORKER_LOST, "gone")), BACKOFF)).get(0);
      assertEquals(lost <= 3 ? TaskStatus.RETRYING : TaskStatus.FAILED, l.status(), "loss " + lost);
    }
    Map<String, Object> end = db.sql.rows("SELECT status, error_code, retry_count, lost_count FROM tasks WHERE id = ?", c.taskId()).get(0);
    assertEquals(Map.of("status", "failed", "error_code", "worker_lost", "retry_count", 1, "lost_count", 4), end);
    assertEquals(List.of("failed", "worker_lost", "worker_lost", "worker_lost", "worker_lost"),
        db.sql.rows("SELECT outcome FROM task_executions WHERE task_id = ? ORDER BY attempt", c.taskId()).stream()
            .map(r -> r.get("outcome")).toList());
  }

  @Test
  void aFailedHandOffIsItsOwnOutcomeAndAnEvent() throws Exception {
    await(db.store.create(List.of(task("a", null, 0))));
    Claimed c = claimOne("w-1");
    Settled s = await(db.store.settle(db.epoch, List.of(Settlement.decided(c.taskId(), c.attempt(), AttemptOutcome.HANDOFF_FAILED,
        "no handlers")), BACKOFF)).get(0);
    assertEquals(TaskStatus.PENDING, s.status());
    assertEquals("retrying", s.event().type(), "back in line is announced");
    assertEquals(List.of(Map.of("outcome", "handoff_failed", "error_code", "handoff_failed")),
        db.sql.rows("SELECT outcome, error_code FROM task_executions WHERE task_id = ?", c.taskId()));
  }

  /** Issue 10, finding 1: hand-offs to a worker that never gets them are counted and bounded. */
  @Test
  void aTaskWhoseHandOffsKeepFailingWaitsAndThenFails() throws Exception {
    await(db.store.create(List.of(task("a", null, 0))));
    Settled last = null;
    UUID id = null;
    for (int i = 1; i <= RetryPolicy.DEFAULT_MAX_HANDOFFS; i++) {
      if (id != null) db.sql.update("UPDATE tasks SET next_retry_at = now() WHERE id = ?", id); // the wait, passed
      Claimed c = claimOne("w-1");
      id = c.taskId();
      last = await(db.store.settle(db.epoch, List.of(Settlement.decided(c.taskId(), c.attempt(), AttemptOutcome.HANDOFF_FAILED,
          "no handlers")), BACKOFF)).get(0);
      if (i == 2) {
        assertEquals(TaskStatus.RETRYING, last.status(), "the second failed hand-off waits");
        assertEquals(1L, db.sql.count("SELECT count(*) FROM tasks WHERE id = ? AND next_retry_at > now()", id));
      }
    }
    assertEquals(TaskStatus.FAILED, last.status());
    Map<String, Object> end = db.sql.rows("SELECT status, error_code, retry_count, handoff_count FROM tasks WHERE id = ?", id).get(0);
    assertEquals(Map.of("status", "failed", "error_code", "handoff_failed", "retry_count", 0,
        "handoff_count", RetryPolicy.DEFAULT_MAX_HANDOFFS), end);
  }

  @Test
  void manySettlementsInOneCallEachWinOnceAndAStaleOneLoses() throws Exception {
    await(db.store.create(List.of(task("a", null, 0), task("a", null, 0), task("b", null, 0))));
    List<Claimed> claimed = await(db.store.claim(db.epoch, "debug", List.of("w-1", "w-2", "w-3"), true));
    assertEquals(3, claimed.size());
    List<Settlement> batch = new ArrayList<>();
    for (Claimed c : claimed) batch.add(report(c, AttemptOutcome.COMPLETED, false));
    batch.add(report(claimed.get(0), AttemptOutcome.FAILED, true)); // the same attempt again: loses
    batch.add(new Settlement(claimed.get(1).taskId(), 99, AttemptOutcome.COMPLETED, false, null, null, null, null, new JsonArray()));
    List<Settled> won = await(db.store.settle(db.epoch, batch, BACKOFF));
    assertEquals(3, won.size());
    for (Claimed c : claimed) assertEquals("completed", db.status(c.taskId()));
  }

  @Test
  void creditsAreHeldCapturedAndReleasedExactlyOnceAndTheLedgerBalances() throws Exception {
    db.sql.update("INSERT INTO wallets (api_client_id, user_id, balance) VALUES ('b', 'payer', 25)");
    db.sql.update("INSERT INTO credit_ledger (wallet_id, kind, amount, balance_after, held_after) "
        + "SELECT id, 'grant', 25, 25, 0 FROM wallets WHERE api_client_id = 'b' AND user_id = 'payer'");
    List<Created> two = await(db.store.create(List.of(task("b", "payer", 10), task("b", "payer", 10))));
    assertEquals(2, two.size());
    assertEquals(Map.of("balance", 5L, "held", 20L), wallet());
    ExecutionException broke = assertThrows(ExecutionException.class, () -> await(db.store.create(List.of(task("b", "payer", 10)))));
    assertInstanceOf(InsufficientCredits.class, broke.getCause());
    assertEquals(2, db.sql.count("SELECT count(*) FROM tasks WHERE user_id = 'payer'"), "nothing created");

    Claimed c = claimOne("w-1");
    await(db.store.settle(db.epoch, List.of(report(c, AttemptOutcome.COMPLETED, false)), BACKOFF));
    assertEquals(Map.of("balance", 5L, "held", 10L), wallet(), "captured");
    UUID other = two.get(0).id().equals(c.taskId()) ? two.get(1).id() : two.get(0).id();
    assertEquals(1, await(db.store.cancelWaiting(other)).size());
    assertEquals(Map.of("balance", 15L, "held", 0L), wallet(), "released on cancel");
    assertTrue(await(db.store.cancelWaiting(other)).isEmpty(), "a second cancel changes nothing");
    assertNotNull(await(db.store.retry(other)));
    assertEquals(Map.of("balance", 5L, "held", 10L), wallet(), "an owner's retry holds anew");
    assertEquals(10L, ((Number) db.sql.rows("SELECT credits_consumed FROM tasks WHERE id = ?", c.taskId()).get(0).get("credits_consumed"))
        .longValue());
    assertBalanced();
  }

  private Map<String, Object> wallet() throws Exception {
    return db.sql.rows("SELECT balance, held FROM wallets WHERE api_client_id = 'b' AND user_id = 'payer'").get(0);
  }

  private void assertBalanced() throws Exception {
    assertEquals(0, db.sql.count("SELECT count(*) FROM wallets w WHERE w.balance + w.held <> "
        + "(SELECT coalesce(sum(CASE kind WHEN 'grant' THEN amount WHEN 'capture' THEN -amount ELSE 0 END), 0) "
        + "FROM credit_ledger l WHERE l.wallet_id = w.id)"), "grants - captures = balance + held");
    assertEquals(0, db.sql.count("SELECT count(*) FROM credit_ledger l JOIN wallets w ON w.id = l.wallet_id "
        + "WHERE l.id = (SELECT max(id) FROM credit_ledger WHERE wallet_id = w.id) AND (l.balance_after <> w.balance OR l.held_after <> w.held)"),
        "the newest entry's snapshot is the wallet");
  }

  @Test
  void aBatchCountsItsTasksAndAnnouncesItsEndOnce() throws Exception {
    UUID batch = UUID.randomUUID();
    List<NewTask> tasks = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      NewTask t = task("a", null, 0);
      tasks.add(new NewTask(t.id(), "a", null, "batch", "debug.sleep", "debug", 0, new JsonObject(), null, null, 0, null, null, null,
          null, null, new JsonArray(), new NewTask.BatchItem(batch, i, 100L + i, "p", null, 64, 64, null, null)));
    }
    await(db.store.createBatch(new NewBatch(batch, "a", null, "debug.sleep", "t", 3, "p", null, 64, 64, null, null, 100L,
        new JsonObject(), "https://example.com/hook", null), tasks));
    assertEquals("pending", batchStatus(batch));
    List<Claimed> claimed = await(db.store.claim(db.epoch, "debug", List.of("w-1", "w-2"), true));
    assertEquals("running", batchStatus(batch), "the first start moves it");
    await(db.store.settle(db.epoch, List.of(report(claimed.get(0), AttemptOutcome.COMPLETED, false),
        report(claimed.get(1), AttemptOutcome.FAILED, false)), BACKOFF));
    UUID last = tasks.stream().map(NewTask::id).filter(id -> claimed.stream().noneMatch(c -> c.taskId().equals(id))).findFirst().orElseThrow();
    await(db.store.cancelWaitingInBatch(batch));
    assertEquals("cancelled", db.status(last));
    assertEquals(Map.of("status", "partial", "completed_count", 1, "failed_count", 1, "cancelled_count", 1, "total_count", 3),
        db.sql.rows("SELECT status, completed_count, failed_count, cancelled_count, total_count FROM task_batches WHERE id = ?", batch).get(0));
    assertEquals(List.of(Map.of("event", "partial")), db.sql.rows("SELECT event FROM webhook_deliveries WHERE batch_id = ?", batch),
        "one delivery, for its end");
  }

  private String batchStatus(UUID batch) throws Exception {
    return (String) db.sql.rows("SELECT status FROM task_batches WHERE id = ?", batch).get(0).get("status");
  }

  @Test
  void anEndedTaskWithAWebhookJoinsTheOutboxOnce() throws Exception {
    NewTask t = task("a", null, 0);
    NewTask hooked = new NewTask(t.id(), "a", null, "openapi", "debug.sleep", "debug", 0, new JsonObject(), null, null, 0,
        "https://example.com/hook", null, null, null, null, new JsonArray(), null);
    await(db.store.create(List.of(hooked)));
    Claimed c = claimOne("w-1");
    await(db.store.settle(db.epoch, List.of(report(c, AttemptOutcome.FAILED, true)), BACKOFF));
    assertEquals(0, db.sql.count("SELECT count(*) FROM webhook_deliveries WHERE task_id = ?", t.id()), "a retry is not an end");
    assertEquals(1, await(db.store.cancelWaiting(t.id())).size());
    assertEquals(List.of(Map.of("event", "cancelled")), db.sql.rows("SELECT event FROM webhook_deliveries WHERE task_id = ?", t.id()));
  }

  @Test
  void aRepeatedIdempotencyKeyCreatesNothing() throws Exception {
    NewTask t = task("a", "u", 0);
    NewTask first = new NewTask(t.id(), "a", "u", "openapi", "debug.sleep", "debug", 0, new JsonObject(), "key-1", "h1", 0, null,
        null, null, null, null, new JsonArray(), null);
    NewTask again = new NewTask(UUID.randomUUID(), "a", "u", "openapi", "debug.sleep", "debug", 0, new JsonObject(), "key-1", "h1",
        0, null, null, null, null, null, new JsonArray(), null);
    List<Created> both = await(db.store.create(List.of(first, again)));
    assertEquals(List.of(t.id()), both.stream().map(Created::id).toList(), "the second, in the same statement, is a repeat");
    assertEquals(0, await(db.store.create(List.of(again))).size());
    assertEquals(t.id().toString(), await(db.reads.byIdempotencyKey("a/u", "key-1")).getJsonObject("task").getString("id"));
  }

  @Test
  void deleteCancelsAWaitingTaskRefusesARunningOneAndRestoreUndoes() throws Exception {
    List<Created> c = await(db.store.create(List.of(task("a", null, 0), task("a", null, 0))));
    Claimed running = claimOne("w-1");
    UUID waiting = c.get(0).id().equals(running.taskId()) ? c.get(1).id() : c.get(0).id();
    assertTrue(await(db.store.delete(running.taskId())).running());
    Deleted d = await(db.store.delete(waiting));
    assertFalse(d.running());
    assertEquals(1, d.cancelled().size());
    assertEquals(Boolean.TRUE, await(db.reads.deleted(Scope.ALL, waiting)));
    assertNull(await(db.reads.get(Scope.ALL, waiting)), "out of the live list");
    assertTrue(await(db.store.restore(waiting)));
    assertFalse(await(db.store.restore(waiting)), "not in the bin any more");
    assertEquals("cancelled", db.status(waiting));
  }

  @Test
  void aScopeSeesItsOwnTasksOnly() throws Exception {
    UUID mine = await(db.store.create(List.of(task("a", "u1", 0)))).get(0).id();
    assertNotNull(await(db.reads.get(new Scope("a", null), mine)));
    assertNotNull(await(db.reads.get(new Scope("a", "u1"), mine)));
    assertNull(await(db.reads.get(new Scope("a", "u2"), mine)));
    assertNull(await(db.reads.get(new Scope("b", null), mine)));
  }

  @Test
  void pruningTakesOldEventsOfEndedTasksAndKeepsThoseOfLiveOnes() throws Exception {
    UUID ended = await(db.store.create(List.of(task("a", null, 0)))).get(0).id();
    await(db.store.cancelWaiting(ended));
    UUID live = await(db.store.create(List.of(task("a", null, 0)))).get(0).id();
    db.sql.update("UPDATE task_events SET created_at = now() - interval '40 days' WHERE task_id IN (?, ?)", ended, live);
    db.sql.update("UPDATE tasks SET finished_at = now() - interval '40 days' WHERE id = ?", ended);
    assertTrue(await(db.store.pruneEvents(java.time.Duration.ofDays(30), 1_000)) >= 2);
    assertEquals(0, db.sql.count("SELECT count(*) FROM task_events WHERE task_id = ?", ended));
    assertEquals(1, db.sql.count("SELECT count(*) FROM task_events WHERE task_id = ?", live));
    assertTrue(await(db.store.pruneTasks(java.time.Duration.ofDays(30), 1_000)) >= 1);
    assertEquals(0, db.sql.count("SELECT count(*) FROM tasks WHERE id = ?", ended));
    assertEquals(1, db.sql.count("SELECT count(*) FROM tasks WHERE id = ?", live));
  }

  @Test
  void aClaimThatExcludesActionsLeavesTheirTasksWaitingForOtherWorkers() throws Exception {
    NewTask sleep = task("a", null, 0);
    NewTask noop = new NewTask(UUID.randomUUID(), "a", null, "openapi", "debug.noop", "debug", 0, new JsonObject(), null, null,
        0, null, null, null, null, null, new JsonArray(), null);
    await(db.store.create(List.of(sleep)));
    await(db.store.create(List.of(noop)));
    List<Claimed> c = await(db.store.claim(db.epoch, "debug", List.of("w-noop", "w-noop"), true, List.of("debug.sleep")));
    assertEquals(List.of(noop.id()), c.stream().map(Claimed::taskId).toList(), "the older sleep is not for this worker");
    assertEquals("pending", db.status(sleep.id()));
    assertEquals(List.of(sleep.id()), await(db.store.claim(db.epoch, "debug", List.of("w-all"), true, List.of())).stream()
        .map(Claimed::taskId).toList(), "a claim that excludes nothing takes it");
  }

  @Test
  void theProviderAndCostAWorkerReportedAreTheExecutionsAndTheProviderIsTheTasks() throws Exception {
    await(db.store.create(List.of(task("a", null, 0))));
    Claimed first = claimOne("w-1");
    Settlement.Run run = new Settlement.Run("comfy-a", "job-1", 2.5, "x".repeat(Settlement.Run.MAX_LOG_CHARS) + "tail");
    Settlement failed = report(first, AttemptOutcome.FAILED, true);
    await(db.store.settle(db.epoch, List.of(new Settlement(failed.taskId(), failed.attempt(), failed.outcome(), true, null,
        failed.errorCode(), failed.errorMessage(), null, failed.assets(), run)), BACKOFF));
    db.sql.update("UPDATE tasks SET next_retry_at = now() WHERE id = ?", first.taskId());
    Claimed second = claimOne("w-2");
    await(db.store.settle(db.epoch, List.of(Settlement.decided(second.taskId(), second.attempt(), AttemptOutcome.WORKER_LOST,
        "gone")), BACKOFF));

    List<Map<String, Object>> rows = db.sql.rows("SELECT attempt, provider_name, provider_job_id, gpu_seconds, length(logs) AS n, "
        + "right(logs, 4) AS tail FROM task_executions WHERE task_id = ? ORDER BY attempt", first.taskId());
    assertEquals("comfy-a", rows.get(0).get("provider_name"));
    assertEquals("job-1", rows.get(0).get("provider_job_id"));
    assertEquals(2.5, rows.get(0).get("gpu_seconds"));
    assertEquals(Settlement.Run.MAX_LOG_CHARS, rows.get(0).get("n"), "logs keep their last 64 KiB");
    assertEquals("tail", rows.get(0).get("tail"));
    assertNull(rows.get(1).get("provider_name"), "a lost attempt says nothing of its provider");
    assertNull(rows.get(1).get("gpu_seconds"));
    assertEquals(Map.of("provider_name", "comfy-a", "provider_job_id", "job-1"),
        db.sql.rows("SELECT provider_name, provider_job_id FROM tasks WHERE id = ?", first.taskId()).get(0),
        "the task keeps the provider of its last reported attempt");
  }
}
