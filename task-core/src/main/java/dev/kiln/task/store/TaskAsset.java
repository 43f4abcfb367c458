package dev.kiln.task.store;

import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A file of a task ({@code task_assets}): an input image, an output, a preview. */
public record TaskAsset(UUID id, String assetType, String objectKey, String fileName, String mimeType, Long sizeBytes,
                        Integer width, Integer height, String checksum, OffsetDateTime createdAt) {
  static final String COLUMNS = "a.id, a.asset_type, a.object_key, a.file_name, a.mime_type, a.size_bytes, a.width, a.height, "
      + "a.checksum, a.created_at";

  static TaskAsset of(Row r) {
    return new TaskAsset(r.getUUID("id"), r.getString("asset_type"), r.getString("object_key"), r.getString("file_name"),
        r.getString("mime_type"), r.getLong("size_bytes"), r.getInteger("width"), r.getInteger("height"), r.getString("checksum"),
        r.getOffsetDateTime("created_at"));
  }
}
