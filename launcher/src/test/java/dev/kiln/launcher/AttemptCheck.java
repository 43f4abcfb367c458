package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.testing.Sql;
import java.util.List;
import java.util.Map;

/**
 * What "nothing lost, each attempt settled once, no two attempts of a task at once" means,
 * checked against Postgres once every task has ended: the task rows, their attempts
 * ({@code task_executions}) and their events must tell one story.
 */
final class AttemptCheck {
  private AttemptCheck() {}

  static void assertSound(Sql sql) throws Exception {
    assertEquals(0, sql.count("SELECT count(*) FROM tasks WHERE status IN ('pending', 'running', 'retrying')"),
        "every task has ended");
    assertEquals(sql.count("SELECT count(*) FROM tasks WHERE status = 'completed'"),
        sql.count("SELECT count(*) FROM task_executions WHERE is_success"), "each completed task ran to completion exactly once");
    assertEquals(0, sql.count("SELECT count(*) FROM (SELECT task_id FROM task_executions WHERE is_success "
        + "GROUP BY task_id HAVING count(*) > 1) x"), "no task completed twice");
    List<Map<String, Object>> overlaps = sql.rows("SELECT a.task_id, a.attempt AS a_attempt, a.outcome AS a_outcome, "
        + "a.worker_id AS a_worker, a.started_at AS a_start, a.completed_at AS a_end, "
        + "b.attempt AS b_attempt, b.outcome AS b_outcome, b.worker_id AS b_worker, b.started_at AS b_start "
        + "FROM task_executions a JOIN task_executions b "
        + "ON a.task_id = b.task_id AND a.attempt < b.attempt AND b.started_at < a.completed_at LIMIT 10");
    assertEquals(List.of(), overlaps, "no attempts of a task overlapped");
    assertEquals(0, sql.count("SELECT count(*) FROM tasks t WHERE t.attempt <> "
        + "(SELECT count(*) FROM task_executions e WHERE e.task_id = t.id)"), "every attempt is an execution row");
    assertEquals(sql.count("SELECT count(*) FROM task_executions"),
        sql.count("SELECT count(*) FROM task_events WHERE event_type = 'started'"), "every attempt has its started event");
    assertEquals(0, sql.count("SELECT count(*) FROM tasks t WHERE (SELECT count(*) FROM task_events e WHERE e.task_id = t.id "
        + "AND e.event_type IN ('completed', 'failed', 'timeout', 'cancelled')) <> 1"), "exactly one terminal event per task");
    assertEquals(0, sql.count("SELECT count(*) FROM tasks t WHERE t.status <> (SELECT e.event_type FROM task_events e "
        + "WHERE e.task_id = t.id ORDER BY e.id DESC LIMIT 1)"), "each task's last event is its status");
  }
}
