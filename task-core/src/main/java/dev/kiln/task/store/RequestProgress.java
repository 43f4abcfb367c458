package dev.kiln.task.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A generation request's state machine (seed 003), kept by PostgreSQL in the transaction that
 * moved one of its tasks, as batch counters are ({@link BatchCounts}): its images' statuses from
 * their tasks, its model's from its task, and from those its own status and phase. No path that
 * moves a task (settle, retry, cancel, timeout, lost worker, fail-over) can leave it stale.
 *
 * <pre>
 * IMAGE_PENDING ─ first image claimed ─▶ IMAGE_GENERATING ─ all ended ─┬─ one completed ─▶ IMAGE_COMPLETED  (AWAITING_SELECTION)
 *                                                                     └─ none ──────────▶ IMAGE_FAILED     (COMPLETED)
 * selection ─▶ MODEL_PENDING ─ starts ─▶ MODEL_GENERATING ─┬─ completed ─▶ COMPLETED     (COMPLETED)
 *                                                         └─ failed ────▶ MODEL_FAILED  (AWAITING_SELECTION: pick again)
 * cancel, in any phase before the end ─▶ CANCELLED (COMPLETED); what follows changes its images and model only
 * </pre>
 */
final class RequestProgress {
  private RequestProgress() {}

  /** Lock first, count after (see BatchCounts): the recount's snapshot then sees a sibling's committed settlement. */
  private static final String LOCK = "SELECT id FROM generation_requests WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE";

  /** A task's status as its image's or model's seed-003 status. */
  private static final String PART_STATUS = "CASE WHEN t.status = 'completed' THEN 'COMPLETED' "
      + "WHEN t.status IN ('failed', 'timeout', 'cancelled') THEN 'FAILED' WHEN t.attempt > 0 THEN 'GENERATING' ELSE 'PENDING' END";

  private static final String RECOUNT =
      "WITH img AS (UPDATE generated_images g SET image_status = " + PART_STATUS + ", "
          + "completed_at = CASE WHEN t.status = 'completed' THEN coalesce(g.completed_at, now()) END, "
          + "failed_at = CASE WHEN t.status IN ('failed', 'timeout', 'cancelled') THEN coalesce(g.failed_at, now()) END, "
          + "error_message = CASE WHEN t.status <> 'completed' THEN t.error_message END "
          + "FROM tasks t WHERE t.id = g.task_id AND g.request_id = ANY($1::uuid[]) RETURNING g.request_id, g.image_status), "
          + "c AS (SELECT request_id, count(*) AS total, count(*) FILTER (WHERE image_status = 'COMPLETED') AS done, "
          + "count(*) FILTER (WHERE image_status = 'FAILED') AS failed, count(*) FILTER (WHERE image_status <> 'PENDING') AS started "
          + "FROM img GROUP BY request_id), "
          + "m AS (UPDATE models SET status = " + PART_STATUS + ", "
          + "object_key = CASE WHEN t.status = 'completed' THEN o.object_key END, "
          + "file_size = CASE WHEN t.status = 'completed' THEN o.size_bytes END, "
          + "preview_object_key = CASE WHEN t.status = 'completed' THEN p.object_key END, "
          + "completed_at = CASE WHEN t.status = 'completed' THEN coalesce(models.completed_at, now()) END, "
          + "failed_at = CASE WHEN t.status IN ('failed', 'timeout', 'cancelled') THEN coalesce(models.failed_at, now()) END, "
          + "error_message = CASE WHEN t.status <> 'completed' THEN t.error_message END "
          + "FROM tasks t "
          + "LEFT JOIN LATERAL (SELECT object_key, size_bytes FROM task_assets WHERE task_id = t.id AND asset_type = 'output' "
          + "AND mime_type = 'model/gltf-binary' ORDER BY created_at LIMIT 1) o ON true "
          + "LEFT JOIN LATERAL (SELECT object_key FROM task_assets WHERE task_id = t.id AND asset_type = 'preview' "
          + "ORDER BY created_at LIMIT 1) p ON true "
          + "WHERE t.id = models.task_id AND models.request_id = ANY($1::uuid[]) RETURNING models.request_id, models.status), "
          + "old AS (SELECT id, status FROM generation_requests WHERE id = ANY($1::uuid[])), "
          + "n AS (SELECT c.request_id, "
          + "CASE WHEN q.status = 'CANCELLED' THEN q.status "
          + "  WHEN q.phase = 'IMAGE_GENERATION' THEN CASE WHEN c.done + c.failed < c.total "
          + "    THEN CASE WHEN c.started > 0 THEN 'IMAGE_GENERATING' ELSE 'IMAGE_PENDING' END "
          + "    WHEN c.done > 0 THEN 'IMAGE_COMPLETED' ELSE 'IMAGE_FAILED' END "
          + "  WHEN q.phase = 'MODEL_GENERATION' THEN CASE m.status WHEN 'COMPLETED' THEN 'COMPLETED' WHEN 'FAILED' THEN 'MODEL_FAILED' "
          + "    WHEN 'GENERATING' THEN 'MODEL_GENERATING' ELSE 'MODEL_PENDING' END "
          + "  ELSE q.status END AS status, "
          + "CASE WHEN q.status = 'CANCELLED' THEN q.phase "
          + "  WHEN q.phase = 'IMAGE_GENERATION' AND c.done + c.failed = c.total THEN CASE WHEN c.done > 0 THEN 'AWAITING_SELECTION' ELSE 'COMPLETED' END "
          + "  WHEN q.phase = 'MODEL_GENERATION' AND m.status = 'COMPLETED' THEN 'COMPLETED' "
          + "  WHEN q.phase = 'MODEL_GENERATION' AND m.status = 'FAILED' THEN 'AWAITING_SELECTION' "
          + "  ELSE q.phase END AS phase "
          + "FROM c JOIN generation_requests q ON q.id = c.request_id LEFT JOIN m ON m.request_id = c.request_id), "
          + "u AS (UPDATE generation_requests q SET status = n.status, phase = n.phase, "
          + "completed_at = CASE WHEN n.status IN ('COMPLETED', 'IMAGE_FAILED', 'CANCELLED') THEN coalesce(q.completed_at, now()) END "
          + "FROM n WHERE q.id = n.request_id AND (q.status, q.phase) IS DISTINCT FROM (n.status, n.phase) "
          + "RETURNING q.id, q.status, q.webhook_url) "
          // request.awaiting_selection, request.completed, request.failed: announced once, when it gets there
          + "INSERT INTO webhook_deliveries (request_id, url, event) "
          + "SELECT u.id, u.webhook_url, CASE WHEN u.status = 'IMAGE_COMPLETED' THEN 'awaiting_selection' "
          + "WHEN u.status = 'COMPLETED' THEN 'completed' ELSE 'failed' END FROM u JOIN old ON old.id = u.id "
          + "WHERE u.webhook_url IS NOT NULL AND u.status <> old.status "
          + "AND u.status IN ('IMAGE_COMPLETED', 'COMPLETED', 'IMAGE_FAILED', 'MODEL_FAILED')";

  /**
   * After a claim that started some of a request's tasks: the request to IMAGE_GENERATING (or
   * MODEL_GENERATING) and the image or model with it, each only forward from PENDING, so a part
   * that already ended (a fast task settled first) is left as its recount made it. Locks the
   * requests before their images and models, as the recount does.
   */
  private static final String STARTED =
      "WITH rs AS (UPDATE generation_requests SET status = CASE status WHEN 'IMAGE_PENDING' THEN 'IMAGE_GENERATING' "
          + "ELSE 'MODEL_GENERATING' END WHERE status IN ('IMAGE_PENDING', 'MODEL_PENDING') "
          + "AND id IN (SELECT generation_request_id FROM tasks WHERE id = ANY($1::uuid[]))), "
          + "ri AS (UPDATE generated_images SET image_status = 'GENERATING' WHERE image_status = 'PENDING' AND task_id = ANY($1::uuid[])) "
          + "UPDATE models SET status = 'GENERATING' WHERE status = 'PENDING' AND task_id = ANY($1::uuid[])";

  private static final Logger LOG = LoggerFactory.getLogger(RequestProgress.class);

  /** Marks the requests of these just-claimed tasks started; never fails (the recount repairs what this misses). */
  static Future<Void> started(Pool pool, List<UUID> taskIds) {
    if (taskIds.isEmpty()) return Future.succeededFuture();
    return pool.preparedQuery(STARTED).execute(Tuple.of((Object) taskIds.toArray(new UUID[0]))).<Void>mapEmpty()
        .recover(e -> {
          LOG.warn("could not mark {} request tasks started: {}", taskIds.size(), e.getMessage());
          return Future.succeededFuture();
        });
  }

  static Future<Void> recount(SqlConnection conn, Collection<UUID> requestIds) {
    if (requestIds.isEmpty()) return Future.succeededFuture();
    UUID[] ids = requestIds.stream().distinct().sorted().toArray(UUID[]::new);
    Future<?> locked = conn.preparedQuery(LOCK).execute(Tuple.of((Object) ids));
    Future<?> counted = conn.preparedQuery(RECOUNT).execute(Tuple.of((Object) ids));
    return Future.all(locked, counted).mapEmpty();
  }
}
