package dev.kiln.dispatcher;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/** The {@code workers} table (DESIGN §5), written by the leader from heartbeats; {@code GET /admin/workers} reads it. */
final class WorkerRows {
  private static final String UPSERT =
      "INSERT INTO workers (id, host, queues, slots, gpu_name, gpu_memory_mb, version, status, gpu_memory_used_mb, "
          + "gpu_utilization_percent, last_heartbeat_at) "
          + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now()) ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, "
          + "queues = EXCLUDED.queues, slots = EXCLUDED.slots, gpu_name = EXCLUDED.gpu_name, "
          + "gpu_memory_mb = EXCLUDED.gpu_memory_mb, version = EXCLUDED.version, status = EXCLUDED.status, "
          + "gpu_memory_used_mb = EXCLUDED.gpu_memory_used_mb, gpu_utilization_percent = EXCLUDED.gpu_utilization_percent, "
          + "last_heartbeat_at = now()";
  private static final String OFFLINE = "UPDATE workers SET status = 'offline' WHERE id = ANY($1::text[])";

  private final Pool pool;

  WorkerRows(Pool pool) {
    this.pool = pool;
  }

  Future<Void> record(JsonObject hb) {
    return pool.preparedQuery(UPSERT).execute(Tuple.of(hb.getString("worker_id"), hb.getString("host"),
        hb.getJsonArray("queues").getList().toArray(new String[0]), hb.getInteger("slots"), hb.getString("gpu_name"),
        hb.getInteger("gpu_memory_mb"), hb.getString("version"), hb.getBoolean("draining", false) ? "draining" : "active",
        withinOrNull(hb.getInteger("gpu_memory_used_mb"), Integer.MAX_VALUE), withinOrNull(hb.getInteger("gpu_utilization"), 100)))
        .mapEmpty();
  }

  /** A reading within [0, max], else null: a driver's odd number must not fail the row's check and lose the heartbeat. */
  private static Integer withinOrNull(Integer v, int max) {
    return v == null || v < 0 || v > max ? null : v;
  }

  Future<Void> offline(List<String> workerIds) {
    if (workerIds.isEmpty()) return Future.succeededFuture();
    return pool.preparedQuery(OFFLINE).execute(Tuple.of((Object) workerIds.toArray(new String[0]))).mapEmpty();
  }
}
