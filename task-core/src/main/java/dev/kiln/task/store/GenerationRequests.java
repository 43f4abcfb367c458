package dev.kiln.task.store;

import dev.kiln.common.db.Tx;
import dev.kiln.common.time.Iso;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * Generation requests (seed 003): a prompt's images, the pick of one, its model. The writes that
 * start each step are here, each one transaction with the tasks it creates or cancels; what
 * follows from the tasks' own moves is {@link RequestProgress}, in theirs. All of the
 * {@code generation_requests} and {@code generated_images} SQL is here or there.
 */
public final class GenerationRequests {
  /** A request to create; image {@code i} is generated with {@code seed + i}. */
  public record NewRequest(UUID id, String apiClientId, String userId, String prompt, String negativePrompt, int width,
                           int height, long seed, int imageCount, String webhookUrl) {}

  /** Why a selection or a cancel was refused; {@code code} is the API's. */
  public static final class Refused extends RuntimeException {
    public final int status;
    public final String code;

    Refused(int status, String code, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
    }
  }

  /** The chosen image's output, which the model's task takes as its source image. */
  public record SourceImage(UUID assetId, String objectKey, String mimeType, long sizeBytes, int width, int height,
                            String checksum) {}

  /** A selection made: the model row and its task. */
  public record Selected(UUID modelId, Created task) {}

  /** A cancel made: the waiting tasks it cancelled (the running ones end through the leader). */
  public record CancelledRequest(List<Cancelled> cancelled) {}

  private static final String COLUMNS = "id, status, phase, prompt, negative_prompt, width, height, seed, image_count, "
      + "selected_image_index, webhook_url, created_at, updated_at, completed_at";
  private static final String INSERT = "INSERT INTO generation_requests (id, api_client_id, user_id, prompt, negative_prompt, "
      + "width, height, seed, image_count, webhook_url) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
  private static final String LINK_IMAGES =
      "WITH g AS (INSERT INTO generated_images (request_id, image_index, seed, image_prompt, task_id) "
          + "SELECT $1, v.i, v.s, $4, v.t FROM unnest($2::int[], $3::bigint[], $5::uuid[]) AS v(i, s, t)) "
          + "UPDATE tasks SET generation_request_id = $1 WHERE id = ANY($5::uuid[])";
  private static final String GET = "SELECT " + COLUMNS + " FROM generation_requests WHERE id = $1 AND " + Scope.sql("", 2, 3);
  private static final String LOCK = "SELECT " + COLUMNS + ", api_client_id, user_id FROM generation_requests "
      + "WHERE id = $1 AND " + Scope.sql("", 2, 3) + " FOR UPDATE";
  private static final String IMAGES =
      "SELECT g.image_index, g.image_status, g.seed, g.task_id, g.error_message, g.completed_at, t.progress, "
          + "a.id AS asset_id, a.object_key, a.mime_type, a.size_bytes, a.width, a.height, a.checksum "
          + "FROM generated_images g LEFT JOIN tasks t ON t.id = g.task_id "
          + "LEFT JOIN LATERAL (SELECT id, object_key, mime_type, size_bytes, width, height, checksum FROM task_assets "
          + "WHERE task_id = g.task_id AND asset_type = 'output' ORDER BY created_at LIMIT 1) a ON true "
          + "WHERE g.request_id = $1 ORDER BY g.image_index";
  private static final String MODEL =
      "SELECT m.id, m.status, m.name, m.task_id, m.format, m.file_size, m.error_message, m.completed_at, t.progress, "
          + "(SELECT id FROM task_assets WHERE task_id = m.task_id AND asset_type = 'output' AND mime_type = 'model/gltf-binary' "
          + "ORDER BY created_at LIMIT 1) AS model_asset_id, "
          + "(SELECT id FROM task_assets WHERE task_id = m.task_id AND asset_type = 'preview' ORDER BY created_at LIMIT 1) AS preview_asset_id "
          + "FROM models m LEFT JOIN tasks t ON t.id = m.task_id WHERE m.request_id = $1";
  private static final String LIST = "SELECT " + COLUMNS + " FROM generation_requests WHERE " + Scope.sql("", 2, 3)
      + " AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $1::uuid)) ORDER BY created_at DESC, id DESC LIMIT $5";
  /** One request : one model, one image : one model (unique in PostgreSQL); a failed model's row is reused for the next pick. */
  private static final String UPSERT_MODEL =
      "INSERT INTO models (api_client_id, user_id, source, request_id, source_image_id, task_id, name, status) "
          + "SELECT $1, $2, 'AI_GENERATED', $3, g.id, $5, $6, 'PENDING' FROM generated_images g WHERE g.request_id = $3 AND g.image_index = $4 "
          + "ON CONFLICT (request_id) DO UPDATE SET source_image_id = EXCLUDED.source_image_id, task_id = EXCLUDED.task_id, "
          + "status = 'PENDING', object_key = NULL, preview_object_key = NULL, file_size = NULL, completed_at = NULL, "
          + "failed_at = NULL, error_message = NULL RETURNING id";
  private static final String TO_MODEL_PHASE = "WITH r AS (UPDATE generation_requests SET status = 'MODEL_PENDING', "
      + "phase = 'MODEL_GENERATION', selected_image_index = $2 WHERE id = $1) "
      + "UPDATE tasks SET generation_request_id = $1 WHERE id = $3";
  private static final String TO_CANCELLED = "UPDATE generation_requests SET status = 'CANCELLED', phase = 'COMPLETED', "
      + "completed_at = now() WHERE id = $1";

  /** Through ix_generation_requests_status_phase: an index-only count, for the gauge. */
  private static final String BY_STATUS = "SELECT status, count(*) AS n FROM generation_requests GROUP BY status";

  /** Every status of the seed's RequestStatus, for gauges that must read 0 rather than vanish. */
  public static final List<String> STATUSES = List.of("IMAGE_PENDING", "IMAGE_GENERATING", "IMAGE_COMPLETED", "IMAGE_FAILED",
      "MODEL_PENDING", "MODEL_GENERATING", "MODEL_COMPLETED", "MODEL_FAILED", "COMPLETED", "FAILED", "CANCELLED");

  private final Pool pool;

  public GenerationRequests(Pool pool) {
    this.pool = pool;
  }

  /** The request, its images, and their tasks with their credit holds: all or none ({@link InsufficientCredits}). */
  public Future<List<Created>> create(NewRequest r, List<NewTask> images) {
    Integer[] index = new Integer[images.size()];
    Long[] seed = new Long[images.size()];
    UUID[] task = new UUID[images.size()];
    for (int i = 0; i < images.size(); i++) {
      index[i] = i;
      seed[i] = r.seed() + i;
      task[i] = images.get(i).id();
    }
    Tuple row = Tuple.of(r.id(), r.apiClientId(), r.userId(), r.prompt(), r.negativePrompt(), r.width(), r.height())
        .addLong(r.seed()).addInteger(r.imageCount()).addString(r.webhookUrl());
    return Tx.run(pool, conn -> conn.preparedQuery(INSERT).execute(row)
        .compose(v -> TaskStore.insertAndHold(conn, images))
        .compose(created -> conn.preparedQuery(LINK_IMAGES).execute(Tuple.of(r.id(), index, seed, r.prompt(), task))
            .map(created)));
  }

  /**
   * The pick: allowed only while the request awaits a selection and only of a completed image;
   * the request's one model (made, or its failed one made again) and its task from {@code task},
   * given the image's output. {@code modelName} null: the model is named after the prompt. Concurrent picks queue on the request's row: one wins, the others
   * find it past selection ({@link Refused} 409).
   */
  public Future<Selected> select(Scope scope, UUID requestId, int index, String modelName, Function<SourceImage, NewTask> task) {
    return Tx.run(pool, conn -> locked(conn, scope, requestId).compose(req -> {
      if (!"AWAITING_SELECTION".equals(req.getString("phase"))) {
        throw new Refused(409, "wrong_phase", "the request is " + req.getString("status") + " (phase " + req.getString("phase")
            + "): an image can be selected only while it awaits a selection");
      }
      return images(conn, requestId).compose(images -> {
        JsonObject image = index < images.size() ? images.getJsonObject(index) : null;
        if (image == null) {
          throw new Refused(422, "invalid_field", "selected_image_index is 0 to " + (images.size() - 1) + ", not " + index);
        }
        if (!"COMPLETED".equals(image.getString("image_status")) || image.getString("asset_id") == null) {
          throw new Refused(409, "image_not_completed", "image " + index + " is " + image.getString("image_status")
              + ": only a completed image can be made a model");
        }
        NewTask t = task.apply(new SourceImage(UUID.fromString(image.getString("asset_id")), image.getString("object_key"),
            image.getString("mime_type"), image.getLong("size_bytes"), image.getInteger("width"), image.getInteger("height"),
            image.getString("checksum")));
        return TaskStore.insertAndHold(conn, List.of(t)).compose(created -> conn.preparedQuery(UPSERT_MODEL)
            .execute(Tuple.of(req.getString("api_client_id"), req.getString("user_id"), requestId, index, t.id(),
                modelName != null ? modelName : nameOf(req.getString("prompt"))))
            .compose(model -> conn.preparedQuery(TO_MODEL_PHASE).execute(Tuple.of(requestId, index, t.id()))
                .map(v -> new Selected(model.iterator().next().getUUID("id"), created.get(0)))));
      });
    }));
  }

  /**
   * Cancels the request and its waiting tasks; its running ones end through the leader (the
   * caller asks it). The tasks are locked before the request, in the order every transition of
   * theirs takes (tasks, then their request), so a claim or settlement meanwhile cannot deadlock.
   */
  public Future<CancelledRequest> cancel(Scope scope, UUID requestId) {
    return Tx.run(pool, conn -> TaskCancel.lockWaitingInRequest(conn, requestId).compose(waiting ->
        locked(conn, scope, requestId).compose(req -> {
          if ("COMPLETED".equals(req.getString("phase"))) {
            throw new Refused(409, "request_ended", "the request has ended (" + req.getString("status") + ")");
          }
          return conn.preparedQuery(TO_CANCELLED).execute(Tuple.of(requestId))
              .compose(v -> TaskCancel.cancel(conn, waiting, "generation request cancelled by its owner", false))
              .map(CancelledRequest::new);
        })));
  }

  /** The request as the API shows it, with its images and model (asset ids: the caller signs their URLs); null when unseen. */
  public Future<JsonObject> get(Scope scope, UUID id) {
    return pool.preparedQuery(GET).execute(Tuple.of(id, scope.apiClientId(), scope.userId())).compose(rows -> {
      if (rows.size() == 0) return Future.succeededFuture(null);
      JsonObject req = json(rows.iterator().next());
      return pool.withConnection(conn -> Future.all(images(conn, id), conn.preparedQuery(MODEL).execute(Tuple.of(id)))
          .map(all -> req.put("images", all.<JsonArray>resultAt(0)).put("model", model(all.<RowSet<Row>>resultAt(1)))));
    });
  }

  /** The scope's requests, newest first, after the cursor (created_at, id), up to {@code limit}; one more tells a next page. */
  public Future<Page<JsonObject>> list(Scope scope, OffsetDateTime beforeCreatedAt, UUID beforeId, int limit) {
    return pool.preparedQuery(LIST).execute(Tuple.of(beforeId, scope.apiClientId(), scope.userId(), beforeCreatedAt, limit + 1))
        .map(rows -> TaskReads.page(rows, limit, GenerationRequests::json));
  }

  /** A model's name from its request's prompt: at most 200 characters, as a name may be. */
  private static String nameOf(String prompt) {
    String p = prompt.strip();
    return p.length() <= 200 ? p : p.substring(0, 199) + "…";
  }

  /** How many requests are in each status (absent: none). */
  public Future<Map<String, Long>> countByStatus() {
    return pool.query(BY_STATUS).execute().map(rows -> {
      Map<String, Long> out = new HashMap<>();
      for (Row r : rows) out.put(r.getString("status"), r.getLong("n"));
      return out;
    });
  }

  private static Future<JsonObject> locked(SqlConnection conn, Scope scope, UUID id) {
    return conn.preparedQuery(LOCK).execute(Tuple.of(id, scope.apiClientId(), scope.userId())).map(rows -> {
      if (rows.size() == 0) throw new Refused(404, "not_found", "no such generation request");
      Row r = rows.iterator().next();
      return json(r).put("api_client_id", r.getString("api_client_id")).put("user_id", r.getString("user_id"));
    });
  }

  private static Future<JsonArray> images(SqlConnection conn, UUID requestId) {
    return conn.preparedQuery(IMAGES).execute(Tuple.of(requestId)).map(rows -> {
      JsonArray out = new JsonArray();
      for (Row r : rows) {
        out.add(new JsonObject()
            .put("index", r.getInteger("image_index"))
            .put("image_status", r.getString("image_status"))
            .put("seed", r.getLong("seed"))
            .put("task_id", r.getUUID("task_id") == null ? null : r.getUUID("task_id").toString())
            .put("progress", r.getInteger("progress"))
            .put("error_message", r.getString("error_message"))
            .put("completed_at", Iso.of(r.getOffsetDateTime("completed_at")))
            .put("asset_id", r.getUUID("asset_id") == null ? null : r.getUUID("asset_id").toString())
            .put("object_key", r.getString("object_key"))
            .put("mime_type", r.getString("mime_type"))
            .put("size_bytes", r.getLong("size_bytes"))
            .put("width", r.getInteger("width"))
            .put("height", r.getInteger("height"))
            .put("checksum", r.getString("checksum")));
      }
      return out;
    });
  }

  private static JsonObject model(RowSet<Row> rows) {
    if (rows.size() == 0) return null;
    Row r = rows.iterator().next();
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("status", r.getString("status"))
        .put("name", r.getString("name"))
        .put("task_id", r.getUUID("task_id") == null ? null : r.getUUID("task_id").toString())
        .put("progress", r.getInteger("progress"))
        .put("format", r.getString("format"))
        .put("file_size", r.getLong("file_size"))
        .put("error_message", r.getString("error_message"))
        .put("completed_at", Iso.of(r.getOffsetDateTime("completed_at")))
        .put("model_asset_id", r.getUUID("model_asset_id") == null ? null : r.getUUID("model_asset_id").toString())
        .put("preview_asset_id", r.getUUID("preview_asset_id") == null ? null : r.getUUID("preview_asset_id").toString());
  }

  private static JsonObject json(Row r) {
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("status", r.getString("status"))
        .put("phase", r.getString("phase"))
        .put("prompt", r.getString("prompt"))
        .put("negative_prompt", r.getString("negative_prompt"))
        .put("width", r.getInteger("width"))
        .put("height", r.getInteger("height"))
        .put("seed", r.getLong("seed"))
        .put("image_count", r.getInteger("image_count"))
        .put("selected_image_index", r.getInteger("selected_image_index"))
        .put("webhook_url", r.getString("webhook_url"))
        .put("created_at", Iso.of(r.getOffsetDateTime("created_at")))
        .put("updated_at", Iso.of(r.getOffsetDateTime("updated_at")))
        .put("completed_at", Iso.of(r.getOffsetDateTime("completed_at")));
  }
}
