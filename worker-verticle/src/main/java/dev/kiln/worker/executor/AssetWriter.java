package dev.kiln.worker.executor;

import dev.kiln.common.hash.Sha256;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Puts an output file into the asset store (a directory) and describes it as a
 * {@code task_assets} row. Blocking: call it from {@code executeBlocking}.
 */
public final class AssetWriter {
  private AssetWriter() {}

  public static JsonObject write(Path assetDir, String taskId, int attempt, String fileName, String mimeType,
                                 byte[] bytes, Integer width, Integer height) throws IOException {
    String key = "tasks/" + taskId + "/" + attempt + "/" + fileName;
    Path file = assetDir.resolve(key);
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(fileName + ".part");
    Files.write(tmp, bytes);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return new JsonObject()
        .put("asset_type", "output")
        .put("object_key", key)
        .put("file_name", fileName)
        .put("mime_type", mimeType)
        .put("size_bytes", (long) bytes.length)
        .put("width", width)
        .put("height", height)
        .put("checksum", Sha256.hex(bytes));
  }

}
