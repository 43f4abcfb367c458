package dev.kiln.http.models;

import dev.kiln.http.api.Cursor;
import dev.kiln.http.auth.Caller;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/**
 * Likes and favorites (seed 003's ModelInteraction): the {@code model_interactions} rows, and the
 * counts on {@code models} that mirror them. A toggle is one transaction that first locks the
 * model's row, so toggles of one model take turns: each then sees every earlier one committed,
 * deletes the caller's row or inserts it, and moves the count by exactly what it did. The count is
 * always the number of rows, however many toggle at once.
 */
final class Interactions {
  /** A seed 003 InteractionType; its count column and the SQL that toggles it. */
  enum Type {
    LIKE("like_count"),
    FAVORITE("favorite_count");

    final String toggleSql;
    final String listSql;
    final String listAfterSql;

    Type(String countColumn) {
      // Built once from constants: the type and column are this enum's, never a request's.
      this.toggleSql = "WITH del AS (DELETE FROM model_interactions WHERE model_id = $1 AND api_client_id = $2 AND user_id = $3 "
          + "AND type = '" + name() + "' RETURNING id), "
          + "ins AS (INSERT INTO model_interactions (api_client_id, user_id, model_id, type) SELECT $2, $3, $1, '" + name()
          + "' WHERE NOT EXISTS (SELECT 1 FROM del) RETURNING id) "
          + "UPDATE models SET " + countColumn + " = " + countColumn + " + (SELECT count(*) FROM ins) - (SELECT count(*) FROM del) "
          + "WHERE id = $1 RETURNING " + countColumn + " AS count, EXISTS (SELECT 1 FROM ins) AS active";
      String list = "SELECT " + ModelSql.COLUMNS + ", x.created_at AS at, x.id AS interaction_id FROM model_interactions x "
          + "JOIN models m ON m.id = x.model_id WHERE x.api_client_id = $3 AND x.user_id = $4 AND x.type = '" + name() + "' AND "
          + ModelSql.READABLE + " %s ORDER BY x.created_at DESC, x.id DESC LIMIT $5";
      this.listSql = list.formatted("");
      this.listAfterSql = list.formatted("AND (x.created_at, x.id) < ($6, $7)");
    }
  }

  /** The caller's state after a toggle, and the model's count of that type. */
  record Toggled(boolean active, int count) {
    JsonObject json(Type type) {
      String word = type == Type.LIKE ? "liked" : "favorited";
      String count = type == Type.LIKE ? "like_count" : "favorite_count";
      return new JsonObject().put(word, active).put(count, count());
    }
  }

  /** The model, if the caller may read it, locked until the toggle commits. */
  private static final String LOCK = "SELECT m.id FROM models m WHERE m.id = $3 AND " + ModelSql.READABLE + " FOR UPDATE";

  private final Pool pool;
  private final ModelJson json;

  Interactions(Pool pool, ModelJson json) {
    this.pool = pool;
    this.json = json;
  }

  /** Likes (or favorites) the model for the caller, or takes it back; null when the caller may not read the model. */
  Future<Toggled> toggle(Caller caller, UUID model, Type type) {
    return pool.withTransaction(conn -> conn.preparedQuery(LOCK)
        .execute(Tuple.of(caller.scope().apiClientId(), caller.userId(), model))
        .compose(found -> {
          if (found.size() == 0) return Future.succeededFuture(null);
          return conn.preparedQuery(type.toggleSql).execute(Tuple.of(model, caller.apiClientId(), ModelSql.tenantUser(caller)))
              .map(rows -> {
                var r = rows.iterator().next();
                return new Toggled(r.getBoolean("active"), r.getInteger("count"));
              });
        }));
  }

  /** The models the caller liked (or favorited) that it may still read, most recent first. */
  Future<Models.Page> mine(Caller caller, Type type, Cursor after, int limit) {
    Tuple t = ModelSql.viewer(caller).addInteger(limit + 1);
    if (after != null) t.addOffsetDateTime(after.createdAt()).addUUID(after.id());
    return pool.preparedQuery(after == null ? type.listSql : type.listAfterSql).execute(t)
        .map(rows -> Models.page(rows, limit, json, r -> Cursor.encode(r.getOffsetDateTime("at"), r.getUUID("interaction_id"))));
  }
}
