package dev.kiln.http.models;

import dev.kiln.common.asset.AssetUrls;
import dev.kiln.common.time.Iso;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A model as the API shows it: its fields, the caller's relation to it ({@code mine}, {@code liked},
 * {@code favorited}) and fresh signed URLs of its file and preview. Owners are never shown: a
 * published model's tenant is nobody else's business.
 */
final class ModelJson {
  private final AssetUrls urls;

  ModelJson(AssetUrls urls) {
    this.urls = urls;
  }

  /** The model file by signed URL; each fetch counts as a download. */
  static String contentPath(UUID id) {
    return AssetUrls.modelPath(id, "content");
  }

  static String previewPath(UUID id) {
    return AssetUrls.modelPath(id, "preview");
  }

  static String contentSubject(UUID id) {
    return AssetUrls.modelSubject(id, "content");
  }

  static String previewSubject(UUID id) {
    return AssetUrls.modelSubject(id, "preview");
  }

  JsonObject of(Row r) {
    UUID id = r.getUUID("id");
    return new JsonObject()
        .put("id", id.toString())
        .put("source", r.getString("source"))
        .put("status", r.getString("status"))
        .put("name", r.getString("name"))
        .put("description", r.getString("description"))
        .put("format", r.getString("format"))
        .put("file_size", r.getLong("file_size"))
        .put("visibility", r.getString("visibility"))
        .put("published_at", time(r.getOffsetDateTime("published_at")))
        .put("view_count", r.getInteger("view_count"))
        .put("like_count", r.getInteger("like_count"))
        .put("favorite_count", r.getInteger("favorite_count"))
        .put("download_count", r.getInteger("download_count"))
        .put("request_id", r.getUUID("request_id") == null ? null : r.getUUID("request_id").toString())
        .put("task_id", r.getUUID("task_id") == null ? null : r.getUUID("task_id").toString())
        .put("mine", r.getBoolean("mine"))
        .put("liked", r.getBoolean("liked"))
        .put("favorited", r.getBoolean("favorited"))
        .put("model_url", r.getString("object_key") == null ? null : urls.sign(contentPath(id), contentSubject(id)))
        .put("preview_image_url", r.getString("preview_object_key") == null ? null : urls.sign(previewPath(id), previewSubject(id)))
        .put("created_at", time(r.getOffsetDateTime("created_at")))
        .put("updated_at", time(r.getOffsetDateTime("updated_at")))
        .put("completed_at", time(r.getOffsetDateTime("completed_at")))
        .put("failed_at", time(r.getOffsetDateTime("failed_at")))
        .put("error_message", r.getString("error_message"));
  }

  private static String time(OffsetDateTime t) {
    return t == null ? null : Iso.of(t);
  }
}
