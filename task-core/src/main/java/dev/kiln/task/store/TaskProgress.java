package dev.kiln.task.store;

import dev.kiln.task.TaskEvent;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Coarse progress (DESIGN §6): the latest value of many running attempts in one statement, each
 * with a {@code progress} event. Only rising values of the attempt that runs now are kept.
 */
final class TaskProgress {
  private TaskProgress() {}

  private static final String WRITE =
      "WITH v AS (SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[]) AS v(id, attempt, progress, message)), "
          + "u AS (UPDATE tasks t SET progress = v.progress FROM v "
          + "WHERE t.id = v.id AND t.attempt = v.attempt AND t.status = 'running' AND t.progress < v.progress "
          + "RETURNING t.id, t.attempt, t.api_client_id, t.user_id, v.progress, v.message), "
          + "e AS (INSERT INTO task_events (task_id, event_type, payload) "
          + "SELECT id, '" + TaskEvent.PROGRESS + "', jsonb_strip_nulls(jsonb_build_object('progress', progress, 'attempt', attempt, "
          + "'message', message)) FROM u RETURNING " + TaskEvent.INSERTED + ") "
          + "SELECT e.*, u.api_client_id, u.user_id FROM e JOIN u ON u.id = e.task_id";

  static Future<List<TaskEvent>> write(Pool pool, List<ProgressReport> reports) {
    if (reports.isEmpty()) return Future.succeededFuture(List.of());
    int n = reports.size();
    UUID[] ids = new UUID[n];
    Integer[] attempts = new Integer[n], values = new Integer[n];
    String[] messages = new String[n];
    for (int i = 0; i < n; i++) {
      ProgressReport p = reports.get(i);
      ids[i] = p.taskId();
      attempts[i] = p.attempt();
      values[i] = p.progress();
      messages[i] = p.message();
    }
    return pool.preparedQuery(WRITE).execute(Tuple.of(ids, attempts, values, messages)).map(rows -> {
      List<TaskEvent> out = new ArrayList<>();
      for (Row r : rows) out.add(TaskEvent.of(r));
      return out;
    });
  }
}
