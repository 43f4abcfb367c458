package dev.kiln.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.embedded.EmbeddedStores;
import dev.kiln.testing.Eventually;
import dev.kiln.testing.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * GPU hosts that share nothing with the HTTP node but the network: three JVMs, each with its own
 * KILN_DATA_DIR (an HTTP+dispatcher node, worker A on the image queue, worker B on model3d, both
 * KILN_WORKER_ASSETS=cluster). A generation request goes prompt → images on A → pick → model on
 * B (which reads the picked image from the HTTP node), and an uploaded image is upscaled on A
 * (its input travels to A, its output back, both in several chunks); every file downloads over
 * HTTP, and only the HTTP node's directory holds asset files.
 */
class SharedNothingIT {
  @RegisterExtension final ProcessCluster cluster = new ProcessCluster("shared-nothing-it", 6700, 3);

  @Test
  void workersWithoutTheHttpNodesDiskRunThePipelineAndAnUpscale() throws Exception {
    Path httpDir = Files.createTempDirectory("kiln-sn-http");
    Path dirA = Files.createTempDirectory("kiln-sn-worker-a");
    Path dirB = Files.createTempDirectory("kiln-sn-worker-b");
    int httpPort = EmbeddedStores.freePort();
    KilnProcess http = cluster.start("http-dispatcher", cluster.env(0, "http,dispatcher", Map.of(
        "KILN_HTTP_PORT", String.valueOf(httpPort), "KILN_DATA_DIR", httpDir.toString())), "http,dispatcher");
    KilnProcess a = cluster.start("worker-a", cluster.env(1, "worker", Map.of("KILN_WORKER_ID", "sn-image",
        "KILN_WORKER_QUEUES", "image", "KILN_WORKER_ASSETS", "cluster", "KILN_DATA_DIR", dirA.toString())), "worker");
    KilnProcess b = cluster.start("worker-b", cluster.env(2, "worker", Map.of("KILN_WORKER_ID", "sn-model",
        "KILN_WORKER_QUEUES", "model3d", "KILN_WORKER_ASSETS", "cluster", "KILN_DATA_DIR", dirB.toString())), "worker");
    for (KilnProcess p : List.of(http, a, b)) p.awaitUp(Duration.ofSeconds(90));
    Api api = new Api(httpPort, KilnNode.ADMIN_KEY);

    try (Sql sql = new Sql(cluster.db())) {
      Eventually.await("both workers registered", Duration.ofSeconds(30),
          () -> sql.count("SELECT count(*) FROM workers WHERE status = 'active'") == 2);

      // prompt -> two images on A, written through the HTTP node
      Api.Reply created = api.post("/api/v1/generation-requests", new JsonObject().put("prompt", "a kiln on another host")
          .put("width", 256).put("height", 256).put("seed", 5).put("image_count", 2).encode());
      assertEquals(202, created.status(), created.body());
      String req = created.json().getString("id");
      JsonObject awaiting = Eventually.await("the images are done", Duration.ofSeconds(60), () -> {
        JsonObject r = api.get("/api/v1/generation-requests/" + req).json();
        return "AWAITING_SELECTION".equals(r.getString("phase")) ? r : null;
      });
      JsonArray images = awaiting.getJsonArray("images");
      for (Object o : images) {
        JsonObject image = (JsonObject) o;
        assertEquals("COMPLETED", image.getString("status"), image.encode());
        BufferedImage png = ImageIO.read(new ByteArrayInputStream(api.bytes(image.getString("image_url"))));
        assertEquals(256, png.getWidth(), "the image downloads whole from the HTTP node");
      }

      // pick one -> the model on B, which reads the picked image through the HTTP node
      Api.Reply picked = api.send("PATCH", "/api/v1/generation-requests/" + req, "{\"selected_image_index\": 1}");
      assertEquals(200, picked.status(), picked.body());
      JsonObject done = Eventually.await("the model is done", Duration.ofSeconds(60), () -> {
        JsonObject r = api.get("/api/v1/generation-requests/" + req).json();
        return "COMPLETED".equals(r.getString("status")) ? r : null;
      });
      JsonObject model = done.getJsonObject("model");
      byte[] glb = api.bytes(model.getString("model_url"));
      assertEquals("glTF", new String(glb, 0, 4, StandardCharsets.US_ASCII), "a GLB downloads");
      assertEquals(model.getLong("file_size").longValue(), glb.length);
      assertNotNull(ImageIO.read(new ByteArrayInputStream(api.bytes(model.getString("preview_image_url")))), "and its preview");

      // an upload upscaled on A: a ~1.4 MB noise PNG in, a larger one out, each over several chunks
      byte[] upload = noisePng(800, 600);
      Api.Reply file = api.post("/api/v1/files", "image/png", upload);
      assertEquals(201, file.status(), file.body());
      JsonObject hires = api.submit(new JsonObject().put("tool_action", "image.hires")
          .put("input", new JsonObject().put("source_image", file.json().getString("id")).put("scale", 2)));
      JsonObject ended = api.awaitEnded(hires.getString("id"), Duration.ofSeconds(60));
      assertEquals("completed", ended.getString("status"), ended.encode());
      JsonObject output = api.get("/api/v1/tasks/" + hires.getString("id") + "/assets").json().getJsonArray("items").stream()
          .map(JsonObject.class::cast).filter(x -> "output".equals(x.getString("asset_type"))).findFirst().orElseThrow();
      byte[] big = api.bytes(output.getString("url"));
      BufferedImage upscaled = ImageIO.read(new ByteArrayInputStream(big));
      assertEquals(1600, upscaled.getWidth());
      assertEquals(1200, upscaled.getHeight());
      assertTrue(big.length > 1024 * 1024, "the output took more than one chunk: " + big.length + " bytes");

      assertEquals(3, sql.count("SELECT count(*) FROM task_executions WHERE worker_id = 'sn-image' AND outcome = 'completed'"),
          "two images and the upscale ran on A");
      assertEquals(1, sql.count("SELECT count(*) FROM task_executions WHERE worker_id = 'sn-model' AND outcome = 'completed'"),
          "the model ran on B");
      assertEquals(0, sql.count("SELECT count(*) FROM task_executions WHERE outcome <> 'completed'"), "nothing failed on the way");
      assertEquals(List.of(), files(dirA), "worker A's data dir holds no file");
      assertEquals(List.of(), files(dirB), "worker B's data dir holds no file");
      Path assets = httpDir.resolve("assets");
      List<Path> stored = files(assets);
      assertTrue(stored.stream().anyMatch(p -> p.toString().endsWith(".glb")), "the HTTP node holds the model: " + stored);
      assertTrue(stored.stream().anyMatch(p -> p.startsWith(assets.resolve("files"))), "and the upload: " + stored);
      assertArrayEquals(big, Files.readAllBytes(assets.resolve("tasks/" + hires.getString("id") + "/1/" + output.getString("file_name"))),
          "and the upscale, as downloaded");
      assertTrue(stored.stream().noneMatch(p -> p.toString().endsWith(".part")), "and no part file: " + stored);
      long hiresMs = sql.count("SELECT (extract(epoch FROM completed_at - started_at) * 1000)::bigint FROM task_executions WHERE task_id = ?::uuid",
          hires.getString("id"));
      System.out.printf("shared nothing: upload %d bytes in, upscale %d bytes out (its attempt %d ms), model %d bytes, "
          + "all through the HTTP node's store%n", upload.length, big.length, hiresMs, glb.length);
    }
  }

  private static List<Path> files(Path dir) throws Exception {
    if (!Files.exists(dir)) return List.of();
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(Files::isRegularFile).sorted().toList();
    }
  }

  /** Noise does not compress: a PNG about as large as its pixels, so it crosses in more than one 1 MiB chunk. */
  private static byte[] noisePng(int width, int height) throws Exception {
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(42);
    int[] row = new int[width];
    for (int y = 0; y < height; y++) {
      Arrays.setAll(row, i -> random.nextInt(0x1000000));
      img.setRGB(0, y, width, 1, row, 0, width);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }
}
