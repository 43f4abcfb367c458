package dev.kiln.task.store;

import dev.kiln.common.time.Iso;
import dev.kiln.task.BatchJson;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Reads of batches and history (seeds 000, 002). */
public final class BatchReads {
  private static final String GET = "SELECT " + BatchJson.COLUMNS + " FROM task_batches WHERE id = $1 AND NOT is_deleted AND "
      + Scope.sql("", 2, 3);
  private static final String REQUEST_HASH = "SELECT request_hash FROM task_batches WHERE id = $1";
  /**
   * A batch's tasks in order, each with its first output image (the asset's id: the caller signs
   * its URL) and its result's {@code outputs} (every output, of any kind: a generic batch's may be
   * models or several images).
   */
  private static final String TASKS =
      "SELECT t.id, t.batch_index, t.seed, t.status, t.progress, t.attempt, t.error_code, t.error_message, t.tool_action, "
          + "t.result -> 'outputs' AS outputs, "
          + "t.created_at, t.finished_at, a.id AS asset_id, a.width AS asset_width, a.height AS asset_height, a.checksum "
          + "FROM tasks t LEFT JOIN LATERAL (SELECT id, width, height, checksum FROM task_assets "
          + "WHERE task_id = t.id AND asset_type = 'output' ORDER BY created_at LIMIT 1) a ON true "
          + "WHERE t.batch_id = $1 ORDER BY t.batch_index";
  private static final String HISTORY = "SELECT " + BatchJson.COLUMNS + " FROM task_batches WHERE NOT is_deleted AND "
      + Scope.sql("", 2, 3) + " AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $1::uuid)) ORDER BY created_at DESC, id DESC LIMIT $5";

  private final Pool pool;

  public BatchReads(Pool pool) {
    this.pool = pool;
  }

  /** The batch as the API shows it (without its tasks), or null when the scope does not see it. */
  public Future<JsonObject> get(Scope scope, UUID id) {
    return pool.preparedQuery(GET).execute(Tuple.of(id, scope.apiClientId(), scope.userId()))
        .map(rows -> rows.size() == 0 ? null : BatchJson.of(rows.iterator().next()));
  }

  /** The hash of the request that made the batch (null: made without an Idempotency-Key, or no such batch). */
  public Future<String> requestHash(UUID id) {
    return pool.preparedQuery(REQUEST_HASH).execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString("request_hash"));
  }

  /**
   * The batch's tasks in index order; an output image appears as {@code image.asset_id}, and a
   * completed task's {@code outputs} as its result holds them (each with its {@code asset_id}).
   */
  public Future<List<JsonObject>> tasks(UUID batchId) {
    return pool.preparedQuery(TASKS).execute(Tuple.of(batchId)).map(rows -> {
      List<JsonObject> items = new ArrayList<>();
      for (Row t : rows) {
        JsonObject task = new JsonObject().put("id", t.getUUID("id").toString()).put("batch_index", t.getInteger("batch_index"))
            .put("seed", t.getLong("seed")).put("status", t.getString("status")).put("progress", t.getInteger("progress"))
            .put("attempt", t.getInteger("attempt")).put("error_code", t.getString("error_code"))
            .put("error_message", t.getString("error_message"))
            .put("created_at", Iso.of(t.getOffsetDateTime("created_at")))
            .put("finished_at", Iso.of(t.getOffsetDateTime("finished_at")))
            .put("tool_action", t.getString("tool_action"));
        if (t.getValue("outputs") instanceof JsonArray outputs) task.put("outputs", outputs);
        if (t.getUUID("asset_id") != null) {
          task.put("image", new JsonObject().put("asset_id", t.getUUID("asset_id").toString()).put("width", t.getInteger("asset_width"))
              .put("height", t.getInteger("asset_height")).put("checksum", t.getString("checksum")));
        }
        items.add(task);
      }
      return items;
    });
  }

  /** One page of the scope's batches, newest first. */
  public Future<Page<JsonObject>> history(Scope scope, OffsetDateTime afterCreatedAt, UUID afterId, int limit) {
    return pool.preparedQuery(HISTORY).execute(Tuple.of(afterId, scope.apiClientId(), scope.userId(), afterCreatedAt, limit + 1))
        .map(rows -> TaskReads.page(rows, limit, BatchJson::of));
  }
}
