package dev.kiln.task.store;

import static dev.kiln.task.store.StoreFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.task.AttemptOutcome;
import dev.kiln.task.Backoff;
import dev.kiln.task.schedule.MisfirePolicy;
import dev.kiln.task.schedule.SchedulerType;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A task config's fire against a real PostgreSQL (issue 12): fenced by the leader's epoch, once per
 * instant however many fires race for it, refused by the unique key even when the row says the
 * instant is due again, and its task's max_retries, timeout and history are the config's.
 */
class TaskConfigFireTest {
  @RegisterExtension static final StoreFixture db = new StoreFixture();
  static final Duration GRACE = Duration.ofSeconds(60);

  private long config(Instant runAt, Integer maxRetries, Integer timeoutSeconds) throws Exception {
    OffsetDateTime at = runAt.truncatedTo(ChronoUnit.MILLIS).atOffset(ZoneOffset.UTC);
    TaskConfig.Values v = new TaskConfig.Values("fire test", "debug.sleep", SchedulerType.DATE,
        new JsonObject().put("duration_ms", 10), new JsonObject().put("run_at", at.toInstant().toString()), maxRetries,
        timeoutSeconds, 5, true, MisfirePolicy.FIRE_ONCE, new JsonArray(), at);
    return await(new TaskConfigs(db.pool).insert(v, "a")).id();
  }

  private long tasksOf(long id) throws Exception {
    return db.sql.count("SELECT count(*) FROM tasks WHERE config_id = ?", id);
  }

  @Test
  void aDeposedLeaderFiresNothingAndRacingFiresOfOneInstantMakeOneTask() throws Exception {
    long id = config(Instant.now().minusMillis(200), null, null);
    ExecutionException deposed = assertThrows(ExecutionException.class,
        () -> await(db.store.fire(db.epoch - 1, id, GRACE)));
    assertInstanceOf(Deposed.class, deposed.getCause());
    assertEquals(0, tasksOf(id), "a deposed leader's fire changes nothing");

    List<Future<Fired>> racing = new ArrayList<>();
    for (int i = 0; i < 8; i++) racing.add(db.store.fire(db.epoch, id, GRACE));
    await(Future.all(racing));
    int created = racing.stream().mapToInt(f -> f.result().created().size()).sum();
    assertEquals(1, created, "eight fires of one instant, one task");
    assertEquals(1, tasksOf(id));
    TaskConfig after = await(new TaskConfigs(db.pool).get(id));
    assertTrue(!after.isActive() && after.nextRunAt() == null, "a DATE that fired is over");
    assertTrue(await(db.store.fire(db.epoch, id, GRACE)).created().isEmpty(), "and fires no more");
  }

  @Test
  void theUniqueKeyRefusesASecondTaskForAnInstantEvenWhenTheRowSaysItIsDue() throws Exception {
    Instant runAt = Instant.now().minusMillis(100).truncatedTo(ChronoUnit.MILLIS);
    long id = config(runAt, null, null);
    assertEquals(1, await(db.store.fire(db.epoch, id, GRACE)).created().size());
    // As if a bug or a hand put the row back: the instant is due again.
    db.sql.update("UPDATE task_configs SET is_active = true, next_run_at = ?::timestamptz WHERE id = ?", runAt.toString(), id);
    ExecutionException twice = assertThrows(ExecutionException.class, () -> await(db.store.fire(db.epoch, id, GRACE)));
    assertInstanceOf(PgException.class, twice.getCause());
    assertEquals("23505", ((PgException) twice.getCause()).getSqlState());
    assertEquals(1, tasksOf(id), "still one task for the instant");
    assertEquals(1, db.sql.count("SELECT count(*) FROM task_configs WHERE id = ? AND is_active", id), "the refused fire changed nothing");
  }

  @Test
  void theTaskHasTheConfigsRetriesAndTimeoutAndItsRunsAreTheConfigs() throws Exception {
    db.sql.update("UPDATE tasks SET status = 'cancelled', finished_at = now() WHERE status IN ('pending', 'retrying', 'running')");
    long id = config(Instant.now().minusMillis(50), 0, 2);
    Fired fired = await(db.store.fire(db.epoch, id, GRACE));
    Created task = fired.created().get(0);
    assertEquals(0, task.task().getInteger("max_retries"), "the config's, not the queue's 3");
    assertEquals(5, task.task().getInteger("priority"));
    assertEquals(id, task.task().getLong("config_id"));
    assertEquals(TaskConfig.CHANNEL, task.task().getString("channel"));
    Created other = await(db.store.create(List.of(StoreFixture.task("a", null, 0)))).get(0);
    assertEquals(3, other.task().getInteger("max_retries"), "a task no config made keeps its queue's");

    List<Claimed> claimed = await(db.store.claim(db.epoch, "debug", List.of("w-1", "w-2"), true));
    Map<String, Long> timeoutMs = new java.util.HashMap<>();
    for (Claimed c : claimed) timeoutMs.put(c.taskId().toString(), Duration.between(c.startedAt(), c.timeoutAt()).toMillis());
    // started_at and timeout_at are two reads of clock_timestamp(), microseconds apart
    assertEquals(2_000L, timeoutMs.get(task.id().toString()), 5, "the config's 2 s");
    assertEquals(60_000L, timeoutMs.get(other.id().toString()), 5, "the debug queue's job_timeout");

    Claimed mine = claimed.stream().filter(c -> c.taskId().equals(task.id())).findFirst().orElseThrow();
    await(db.store.settle(db.epoch, List.of(new Settlement(mine.taskId(), mine.attempt(), AttemptOutcome.FAILED, true, null,
        "executor_error", "it broke", "java.lang.IllegalStateException: it broke\n\tat somewhere", new JsonArray())),
        q -> new Backoff(1_000, 60_000)));
    assertEquals("failed", db.sql.rows("SELECT status FROM tasks WHERE id = ?", task.id()).get(0).get("status"),
        "retryable, but the config allows no retry");
    TaskConfigs.Executions runs = await(new TaskConfigs(db.pool).executions(id, null, 10));
    assertEquals(1, runs.items().size());
    JsonObject run = runs.items().get(0);
    assertEquals(task.id().toString(), run.getString("task_id"));
    assertEquals(task.task().getString("scheduled_for"), run.getString("scheduled_for"));
    assertTrue(run.getString("error_traceback").startsWith("java.lang.IllegalStateException"));
    assertNull(runs.next());

    assertTrue(await(new TaskConfigs(db.pool).delete(id)));
    assertEquals(1, db.sql.count("SELECT count(*) FROM task_executions WHERE task_id = ? AND config_id IS NULL", task.id()),
        "deleting the config keeps its history");
    assertEquals(1, db.sql.count("SELECT count(*) FROM tasks WHERE id = ? AND config_id IS NULL", task.id()));
  }
}
