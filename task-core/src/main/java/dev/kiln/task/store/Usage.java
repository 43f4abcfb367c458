package dev.kiln.task.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;

/**
 * What the executions that ended in a span cost (issue 13): GPU seconds, attempts and distinct
 * tasks, in all, by tenant (API client and end user) and by {@code tool_action}, in one statement
 * over the span's executions (the BRIN index of V9 keeps it to the span's pages).
 */
public final class Usage {
  private static final String SUMS =
      "SELECT GROUPING(t.api_client_id, t.user_id) AS no_tenant, GROUPING(t.tool_action) AS no_action, "
          + "t.api_client_id, t.user_id, t.tool_action, coalesce(sum(e.gpu_seconds), 0) AS gpu_seconds, "
          + "count(*) AS attempts, count(DISTINCT e.task_id) AS tasks "
          + "FROM task_executions e JOIN tasks t ON t.id = e.task_id "
          + "WHERE e.completed_at >= $1 AND e.completed_at < $2 "
          + "GROUP BY GROUPING SETS ((), (t.api_client_id, t.user_id), (t.tool_action)) "
          + "ORDER BY 6 DESC, 7 DESC, t.api_client_id, t.user_id NULLS FIRST, t.tool_action";

  private final Pool pool;

  public Usage(Pool pool) {
    this.pool = pool;
  }

  /**
   * {@code {total: {gpu_seconds, attempts, tasks}, by_tenant: [{api_client_id, user_id, ...}],
   * by_tool_action: [{tool_action, ...}]}} of the executions that ended in [from, to), most GPU time first.
   */
  public Future<JsonObject> between(OffsetDateTime from, OffsetDateTime to) {
    return pool.preparedQuery(SUMS).execute(Tuple.of(from, to)).map(rows -> {
      JsonObject total = sums(new JsonObject(), null);
      JsonArray byTenant = new JsonArray();
      JsonArray byAction = new JsonArray();
      for (Row r : rows) {
        boolean tenant = r.getInteger("no_tenant") == 0;
        boolean action = r.getInteger("no_action") == 0;
        if (tenant) byTenant.add(sums(new JsonObject().put("api_client_id", r.getString("api_client_id"))
            .put("user_id", r.getString("user_id")), r));
        else if (action) byAction.add(sums(new JsonObject().put("tool_action", r.getString("tool_action")), r));
        else total = sums(new JsonObject(), r);
      }
      return new JsonObject().put("total", total).put("by_tenant", byTenant).put("by_tool_action", byAction);
    });
  }

  /** The three sums of a row (zeros for a span with no executions: its total row is still one). */
  private static JsonObject sums(JsonObject into, Row r) {
    return into.put("gpu_seconds", r == null ? 0.0 : r.getDouble("gpu_seconds"))
        .put("attempts", r == null ? 0L : r.getLong("attempts"))
        .put("tasks", r == null ? 0L : r.getLong("tasks"));
  }
}
