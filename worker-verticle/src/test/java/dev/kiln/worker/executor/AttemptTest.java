package dev.kiln.worker.executor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.common.asset.DirectoryAssetStore;
import dev.kiln.common.hash.Sha256;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An attempt reads its inputs from, and stores its outputs in, the asset store it is given. */
class AttemptTest {
  @TempDir
  Path dir;

  private Attempt attempt(JsonObject images) {
    return new Attempt(null, "t-9", 3, "image.hires", new JsonObject(), images, new DirectoryAssetStore(dir), (p, m) -> {});
  }

  @Test
  void anOutputIsStoredUnderItsAttemptAndDescribedAsItsRow() throws Exception {
    byte[] bytes = "glb bytes".getBytes(StandardCharsets.UTF_8);
    JsonObject row = attempt(null).output("model.glb", "model/gltf-binary", bytes, null, null);
    assertEquals(new JsonObject().put("asset_type", "output").put("object_key", "tasks/t-9/3/model.glb").put("file_name", "model.glb")
        .put("mime_type", "model/gltf-binary").put("size_bytes", (long) bytes.length).putNull("width").putNull("height")
        .put("checksum", Sha256.hex(bytes)), row);
    assertArrayEquals(bytes, Files.readAllBytes(dir.resolve("tasks/t-9/3/model.glb")));
    assertEquals(64, attempt(null).output("image.png", "image/png", bytes, 64, 32).getInteger("width"));
    for (String bad : new String[] {"../x.png", "a/b.png", "..", ""}) {
      assertThrows(IllegalArgumentException.class, () -> attempt(null).output(bad, "image/png", bytes, 1, 1), bad);
    }
  }

  @Test
  void anInputImageIsItsBytesOrNullWhenTheTaskHasNone() throws Exception {
    Files.createDirectories(dir.resolve("files/ab"));
    Files.write(dir.resolve("files/ab/abc.png"), new byte[] {1, 2, 3});
    Attempt a = attempt(new JsonObject().put("source_image", "files/ab/abc.png").put("reference_image", "files/ab/gone.png"));
    assertArrayEquals(new byte[] {1, 2, 3}, a.image("source_image"));
    assertThrows(NoSuchFileException.class, () -> a.image("reference_image"));
    assertNull(a.image("mask_image"));
    assertNull(attempt(null).image("source_image"));
  }
}
