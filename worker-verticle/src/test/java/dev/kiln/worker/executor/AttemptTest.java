package dev.kiln.worker.executor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.common.asset.DirectoryAssetStore;
import dev.kiln.common.config.ImageLimits;
import dev.kiln.common.hash.Sha256;
import dev.kiln.common.image.BoundedImageDecoder;
import dev.kiln.testing.Pngs;
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
    return new Attempt(null, "t-9", 3, "image.hires", new JsonObject(), images, new DirectoryAssetStore(dir),
        new BoundedImageDecoder(new ImageLimits(ImageLimits.MAX_SIDE, 10_000, 1)), (p, m) -> {});
  }

  @Test
  void anOutputIsStoredUnderItsAttemptAndDescribedAsItsRow() throws Exception {
    byte[] bytes = "glb bytes".getBytes(StandardCharsets.UTF_8);
    JsonObject row = attempt(null).output("model.glb", "model/gltf-binary", bytes, null, null);
    assertEquals(new JsonObject().put("asset_type", "output").put("object_key", "tasks/t-9/3/model.glb").put("file_name", "model.glb")
        .put("mime_type", "model/gltf-binary").put("size_bytes", (long) bytes.length).putNull("width").putNull("height")
        .put("checksum", Sha256.hex(bytes)), row);
    assertArrayEquals(bytes, Files.readAllBytes(dir.resolve("tasks/t-9/3/model.glb")));
    assertEquals(64, attempt(null).output("image.png", "image/png", png(64, 32), 64, 32).getInteger("width"));
    for (String bad : new String[] {"../x.png", "a/b.png", "..", ""}) {
      assertThrows(IllegalArgumentException.class, () -> attempt(null).output(bad, "image/png", bytes, 1, 1), bad);
    }
  }

  private static byte[] png(int w, int h) throws Exception {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_RGB), "png", out);
    return out.toByteArray();
  }

  /** What a provider sends back as an image must be one, within the node's limits (10,000 pixels here): else nothing is stored. */
  @Test
  void anImageOutputOverTheLimitsOrNoImageIsRefusedAndNotStored() throws Exception {
    var tooLarge = assertThrows(BoundedImageDecoder.Rejected.class,
        () -> attempt(null).output("big.png", "image/png", Pngs.blank(8192, 8192), 8192, 8192));
    assertEquals(BoundedImageDecoder.Reason.TOO_LARGE, tooLarge.reason());
    assertThrows(BoundedImageDecoder.Rejected.class, () -> attempt(null).output("big.png", "image/png", png(101, 100), 101, 100));
    var garbage = assertThrows(BoundedImageDecoder.Rejected.class,
        () -> attempt(null).output("x.jpg", "image/jpeg", "not a jpeg".getBytes(StandardCharsets.UTF_8), 1, 1));
    assertEquals(BoundedImageDecoder.Reason.NOT_AN_IMAGE, garbage.reason());
    assertFalse(Files.exists(dir.resolve("tasks/t-9/3/big.png")));
    assertFalse(Files.exists(dir.resolve("tasks/t-9/3/x.jpg")));
    assertEquals(100, attempt(null).output("ok.png", "image/png", png(100, 100), 100, 100).getInteger("height"));
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
