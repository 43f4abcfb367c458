package dev.kiln.http.tasks;

import dev.kiln.http.api.ApiException;
import dev.kiln.http.auth.Caller;
import dev.kiln.task.ToolAction;
import dev.kiln.task.store.TaskReads;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The images a task's input names ({@code source_image}, {@code reference_image}): each an
 * uploaded file or an asset of one of the caller's own tasks. Resolved before the task is
 * written; each becomes an {@code input} asset of the new task (seed 000). A task config's are
 * resolved when it is saved, and each of its tasks gets them (admin/TaskConfigRoutes).
 */
public final class InputImages {
  private InputImages() {}

  /** One resolved image: the new input asset's row (with a fresh id) and the field it fills. */
  public record Image(String field, JsonObject asset) {
    String objectKey() {
      return asset.getString("object_key");
    }
  }

  public static Future<List<Image>> resolve(TaskReads reads, Caller caller, ToolAction action, JsonObject input) {
    List<Future<Image>> found = new ArrayList<>();
    for (String field : action.imageFields()) {
      String ref = input.getString(field);
      if (ref != null) found.add(find(reads, caller, field, UUID.fromString(ref)));
    }
    if (found.isEmpty()) return Future.succeededFuture(List.of());
    return Future.all(found).map(all -> all.<Image>list());
  }

  private static Future<Image> find(TaskReads reads, Caller caller, String field, UUID ref) {
    return reads.inputImage(caller.scope(), ref).compose(r -> {
      if (r == null) {
        return Future.failedFuture(ApiException.invalid("invalid_image",
            "input." + field + ": no uploaded file or asset " + ref + " of yours"));
      }
      String mime = r.getString("mime_type");
      if (mime == null || !mime.startsWith("image/")) {
        return Future.failedFuture(ApiException.invalid("invalid_image", "input." + field + ": asset " + ref + " is " + mime + ", not an image"));
      }
      String key = r.getString("object_key");
      JsonObject asset = new JsonObject()
          .put("id", UUID.randomUUID().toString())
          .put("object_key", key)
          .put("file_name", field + (key.lastIndexOf('.') > key.lastIndexOf('/') ? key.substring(key.lastIndexOf('.')) : ""))
          .put("mime_type", mime)
          .put("size_bytes", r.getLong("size_bytes"))
          .put("width", r.getInteger("width"))
          .put("height", r.getInteger("height"))
          .put("checksum", r.getString("checksum"))
          .put("metadata", new JsonObject().put("field", field).put("from", ref.toString()));
      return Future.succeededFuture(new Image(field, asset));
    });
  }

  public static JsonArray assets(List<Image> images) {
    JsonArray out = new JsonArray();
    for (Image i : images) out.add(i.asset());
    return out;
  }

  static String key(List<Image> images, String field) {
    return images.stream().filter(i -> i.field().equals(field)).map(Image::objectKey).findFirst().orElse(null);
  }
}
