package dev.kiln.http.models;

import dev.kiln.http.auth.Caller;
import io.vertx.sqlclient.Tuple;

/**
 * The parts every statement that shows a model to a caller shares. Such a statement's first four
 * parameters are the caller's: $1 the client it may see (null: an admin, every client), $2 the
 * end user it may see (null: all of the client's), $3 and $4 the tenant whose likes and favorites
 * it shows (the client, and the end user or '' for the client itself, as in model_interactions).
 */
final class ModelSql {
  private ModelSql() {}

  /** The model is the caller's to change: in its scope, as tasks and files are. */
  static final String MINE = "(($1::text IS NULL OR m.api_client_id = $1) AND ($2::text IS NULL OR m.user_id = $2))";

  /** The caller may read the model: it is published, or it is the caller's. */
  static final String READABLE = "(m.visibility = 'PUBLIC' OR " + MINE + ")";

  /** A model row as {@link ModelJson} reads it, from alias {@code m}. */
  static final String COLUMNS = "m.id, m.source, m.request_id, m.task_id, m.status, m.name, m.description, m.object_key, "
      + "m.preview_object_key, m.format, m.file_size, m.visibility, m.published_at, m.view_count, m.like_count, "
      + "m.favorite_count, m.download_count, m.created_at, m.updated_at, m.completed_at, m.failed_at, m.error_message, "
      + MINE + " AS mine, "
      + "EXISTS (SELECT 1 FROM model_interactions i WHERE i.model_id = m.id AND i.api_client_id = $3 AND i.user_id = $4 "
      + "AND i.type = 'LIKE') AS liked, "
      + "EXISTS (SELECT 1 FROM model_interactions i WHERE i.model_id = m.id AND i.api_client_id = $3 AND i.user_id = $4 "
      + "AND i.type = 'FAVORITE') AS favorited";

  /** $1–$4 for this caller; a statement adds its own from $5. */
  static Tuple viewer(Caller caller) {
    return Tuple.of(caller.scope().apiClientId(), caller.userId(), caller.apiClientId(), tenantUser(caller));
  }

  /** model_interactions.user_id of the caller: its end user, or '' for the client itself. */
  static String tenantUser(Caller caller) {
    return caller.userId() == null ? "" : caller.userId();
  }
}
