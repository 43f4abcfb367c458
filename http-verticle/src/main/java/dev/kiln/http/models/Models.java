package dev.kiln.http.models;

import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Cursor;
import dev.kiln.http.auth.Caller;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * The {@code models} table as the API reads and edits it (the generation pipeline makes and
 * finishes AI-generated rows; the like and favorite counts are {@link Interactions}'). Every
 * statement is the caller's: it finds only what the caller may read ({@link ModelSql#READABLE}) or
 * change ({@link ModelSql#MINE}), so another's private model is not there at all.
 */
final class Models {
  private static final String GET = "SELECT " + ModelSql.COLUMNS + " FROM models m WHERE m.id = $5 AND " + ModelSql.READABLE;
  private static final String EDIT = "UPDATE models m SET name = COALESCE($6, m.name), "
      + "description = CASE WHEN $7 THEN $8 ELSE m.description END WHERE m.id = $5 AND " + ModelSql.MINE
      + " RETURNING " + ModelSql.COLUMNS;
  /** One that is still being generated stays: its task would finish a row that is gone. */
  private static final String DELETE = "WITH target AS (SELECT m.id, m.status FROM models m WHERE m.id = $3 AND "
      + ModelSql.MINE + " FOR UPDATE), "
      + "gone AS (DELETE FROM models WHERE id IN (SELECT id FROM target WHERE status NOT IN ('PENDING', 'GENERATING')) RETURNING id) "
      + "SELECT t.status, (SELECT count(*) FROM gone) AS deleted FROM target t";
  /** Publishing a published model keeps its published_at: it does not jump to the top of "latest". */
  private static final String PUBLISH = "UPDATE models m SET visibility = 'PUBLIC', "
      + "published_at = CASE WHEN m.visibility = 'PUBLIC' THEN m.published_at ELSE now() END "
      + "WHERE m.id = $5 AND m.status = 'COMPLETED' AND m.object_key IS NOT NULL AND " + ModelSql.MINE
      + " RETURNING " + ModelSql.COLUMNS;
  private static final String UNPUBLISH = "UPDATE models m SET visibility = 'PRIVATE', published_at = NULL "
      + "WHERE m.id = $5 AND " + ModelSql.MINE + " RETURNING " + ModelSql.COLUMNS;
  private static final String STATUS = "SELECT m.status FROM models m WHERE m.id = $3 AND " + ModelSql.MINE;
  private static final String INSERT = "INSERT INTO models AS m (api_client_id, user_id, source, status, name, description, "
      + "object_key, preview_object_key, format, file_size, completed_at) "
      + "VALUES ($5, $6, 'USER_UPLOADED', 'COMPLETED', $7, $8, $9, $10, $11, $12, now()) RETURNING " + ModelSql.COLUMNS;
  private static final String VIEW = "UPDATE models m SET view_count = m.view_count + 1 "
      + "WHERE m.id = $5 AND m.visibility = 'PUBLIC' RETURNING " + ModelSql.COLUMNS;
  private static final String FILE = "SELECT object_key, format, name FROM models WHERE id = $1 AND object_key IS NOT NULL";
  private static final String DOWNLOADED = "UPDATE models SET download_count = download_count + 1 WHERE id = $1";
  private static final String PREVIEW = "SELECT preview_object_key FROM models WHERE id = $1 AND preview_object_key IS NOT NULL";

  // The gallery: only published models, in the order of one of its two partial indexes.
  private static final String LATEST = "SELECT " + ModelSql.COLUMNS + " FROM models m WHERE m.visibility = 'PUBLIC' %s "
      + "ORDER BY m.published_at DESC, m.id DESC LIMIT $5";
  private static final String LATEST_AFTER = "AND (m.published_at, m.id) < ($6, $7)";
  private static final String POPULAR = "SELECT " + ModelSql.COLUMNS + " FROM models m WHERE m.visibility = 'PUBLIC' %s "
      + "ORDER BY m.like_count DESC, m.published_at DESC, m.id DESC LIMIT $5";
  private static final String POPULAR_AFTER = "AND (m.like_count, m.published_at, m.id) < ($6, $7, $8)";

  /** The tenant's own models (not its end users': "me" is exactly the caller), newest first. */
  private static final String MINE_LIST = "SELECT " + ModelSql.COLUMNS + " FROM models m WHERE m.api_client_id = $3 AND %s %s "
      + "ORDER BY m.created_at DESC, m.id DESC LIMIT $5";
  private static final String OF_USER = "m.user_id = $4";
  private static final String OF_CLIENT = "m.user_id IS NULL";
  private static final String MINE_AFTER = "AND (m.created_at, m.id) < ($6, $7)";

  /** A page of models and where the next one starts (null on the last). */
  record Page(List<JsonObject> items, String nextCursor) {
    JsonObject json() {
      return new JsonObject().put("items", new JsonArray(new ArrayList<>(items))).put("next_cursor", nextCursor);
    }
  }

  /** A model file to send: its key in the asset store, its format, and the name to save it as. */
  record File(String objectKey, ModelFormat format, String name) {}

  /** What an uploaded model is stored as. */
  record Upload(String name, String description, String objectKey, String previewObjectKey, ModelFormat format, long fileSize) {}

  enum Deleted { DELETED, NOT_FOUND, GENERATING }

  private final Pool pool;
  private final ModelJson json;

  Models(Pool pool, ModelJson json) {
    this.pool = pool;
    this.json = json;
  }

  /** The model if the caller may read it, else null. */
  Future<JsonObject> get(Caller caller, UUID id) {
    return one(GET, ModelSql.viewer(caller).addUUID(id));
  }

  /** {@code name} null keeps it; {@code setDescription} false keeps the description (else it becomes {@code description}, null clears it). */
  Future<JsonObject> edit(Caller caller, UUID id, String name, boolean setDescription, String description) {
    return one(EDIT, ModelSql.viewer(caller).addUUID(id).addString(name).addBoolean(setDescription).addString(description));
  }

  Future<Deleted> delete(Caller caller, UUID id) {
    return pool.preparedQuery(DELETE).execute(Tuple.of(caller.scope().apiClientId(), caller.userId(), id)).map(rows -> {
      if (rows.size() == 0) return Deleted.NOT_FOUND;
      return rows.iterator().next().getLong("deleted") == 1 ? Deleted.DELETED : Deleted.GENERATING;
    });
  }

  /** Published (PUBLIC, published_at); null when the caller has no such model; 409 while it is not completed. */
  Future<JsonObject> publish(Caller caller, UUID id) {
    return one(PUBLISH, ModelSql.viewer(caller).addUUID(id)).compose(m -> {
      if (m != null) return Future.succeededFuture(m);
      return pool.preparedQuery(STATUS).execute(Tuple.of(caller.scope().apiClientId(), caller.userId(), id)).map(rows -> {
        if (rows.size() == 0) return null;
        throw new ApiException(409, "model_not_ready", "the model is " + rows.iterator().next().getString("status")
            + ": only a completed model with its file can be published");
      });
    });
  }

  Future<JsonObject> unpublish(Caller caller, UUID id) {
    return one(UNPUBLISH, ModelSql.viewer(caller).addUUID(id));
  }

  /** A user's model, owned by the caller's tenant, private until published. */
  Future<JsonObject> insert(Caller caller, Upload u) {
    return one(INSERT, ModelSql.viewer(caller).addString(caller.apiClientId()).addString(caller.userId()).addString(u.name())
        .addString(u.description()).addString(u.objectKey()).addString(u.previewObjectKey()).addString(u.format().name())
        .addLong(u.fileSize()));
  }

  /** A published model, counted as one more view; null when there is no published model of that id. */
  Future<JsonObject> view(Caller caller, UUID id) {
    return one(VIEW, ModelSql.viewer(caller).addUUID(id));
  }

  Future<Page> gallery(Caller caller, GallerySort sort, GallerySort.Position after, int limit) {
    Tuple t = ModelSql.viewer(caller).addInteger(limit + 1);
    String sql;
    if (sort == GallerySort.LATEST) {
      sql = LATEST.formatted(after == null ? "" : LATEST_AFTER);
      if (after != null) t.addOffsetDateTime(after.publishedAt()).addUUID(after.id());
    } else {
      sql = POPULAR.formatted(after == null ? "" : POPULAR_AFTER);
      if (after != null) t.addInteger(after.likes()).addOffsetDateTime(after.publishedAt()).addUUID(after.id());
    }
    return page(sql, t, limit, r -> sort.encode(new GallerySort.Position(r.getInteger("like_count"),
        r.getOffsetDateTime("published_at"), r.getUUID("id"))));
  }

  Future<Page> mine(Caller caller, Cursor after, int limit) {
    String sql = MINE_LIST.formatted(caller.userId() == null ? OF_CLIENT : OF_USER, after == null ? "" : MINE_AFTER);
    Tuple t = ModelSql.viewer(caller).addInteger(limit + 1);
    if (after != null) t.addOffsetDateTime(after.createdAt()).addUUID(after.id());
    return page(sql, t, limit, r -> Cursor.encode(r.getOffsetDateTime("created_at"), r.getUUID("id")));
  }

  /** The model's file, for whoever holds its signed URL; null when it has none (or is gone). */
  Future<File> file(UUID id) {
    return pool.preparedQuery(FILE).execute(Tuple.of(id)).map(rows -> {
      if (rows.size() == 0) return null;
      Row r = rows.iterator().next();
      return new File(r.getString("object_key"), ModelFormat.valueOf(r.getString("format")), r.getString("name"));
    });
  }

  /** One more download of the model's file: counted once the file has been sent whole. */
  Future<Void> downloaded(UUID id) {
    return pool.preparedQuery(DOWNLOADED).execute(Tuple.of(id)).mapEmpty();
  }

  Future<String> previewKey(UUID id) {
    return pool.preparedQuery(PREVIEW).execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString("preview_object_key"));
  }

  private Future<JsonObject> one(String sql, Tuple t) {
    return pool.preparedQuery(sql).execute(t).map(rows -> rows.size() == 0 ? null : json.of(rows.iterator().next()));
  }

  /** The first {@code limit} rows; the next cursor is the last one's position when more came. */
  private Future<Page> page(String sql, Tuple t, int limit, Function<Row, String> cursorOf) {
    return pool.preparedQuery(sql).execute(t).map(rows -> page(rows, limit, json, cursorOf));
  }

  static Page page(RowSet<Row> rows, int limit, ModelJson json, Function<Row, String> cursorOf) {
    List<JsonObject> items = new ArrayList<>();
    Row last = null;
    boolean more = false;
    for (Row r : rows) {
      if (items.size() == limit) {
        more = true;
        break;
      }
      items.add(json.of(r));
      last = r;
    }
    return new Page(items, more ? cursorOf.apply(last) : null);
  }
}
