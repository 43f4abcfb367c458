package dev.kiln.common.asset;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The directory store on a real directory: what is written reads back, an overwrite is never seen
 * half done, keys that escape the root are refused before any file is touched, and {@code send}
 * serves the bytes over real HTTP.
 */
class DirectoryAssetStoreTest {
  @TempDir
  Path tmp;

  private Path root;
  private DirectoryAssetStore store;

  @BeforeEach
  void store() throws Exception {
    root = Files.createDirectories(tmp.resolve("assets"));
    store = new DirectoryAssetStore(root);
  }

  @Test
  void whatIsWrittenReadsBackUnderItsKey() throws Exception {
    byte[] png = "not really a png".getBytes(StandardCharsets.UTF_8);
    assertFalse(store.exists("tasks/t-1/1/image.png"));
    store.write("tasks/t-1/1/image.png", png);
    assertTrue(store.exists("tasks/t-1/1/image.png"));
    assertArrayEquals(png, store.read("tasks/t-1/1/image.png"));
    // The key is a path under the root, as the HTTP role and older rows expect.
    assertArrayEquals(png, Files.readAllBytes(root.resolve("tasks/t-1/1/image.png")));
    store.write("files/ab/abcdef.png", new byte[0]);
    assertArrayEquals(new byte[0], store.read("files/ab/abcdef.png"));
  }

  @Test
  void aMissingKeyIsNoSuchFile() throws Exception {
    assertThrows(NoSuchFileException.class, () -> store.read("tasks/none/1/image.png"));
    assertFalse(store.exists("tasks/none/1/image.png"));
    Files.createDirectories(root.resolve("tasks/dir"));
    assertFalse(store.exists("tasks/dir"), "a directory is not an asset");
  }

  @Test
  void anOverwriteReplacesWholeAndLeavesNoTemporaryFile() throws Exception {
    byte[] a = filled(1 << 20, (byte) 'a');
    byte[] b = filled((1 << 20) + 7, (byte) 'b');
    store.write("tasks/t/1/model.glb", a);
    AtomicBoolean stop = new AtomicBoolean();
    List<String> seen = new CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> {
      while (!stop.get()) {
        try {
          byte[] got = store.read("tasks/t/1/model.glb");
          if (!Arrays.equals(got, a) && !Arrays.equals(got, b)) seen.add("a torn read of " + got.length + " bytes");
        } catch (Exception e) {
          seen.add(e.toString());
        }
      }
    });
    reader.start();
    for (int i = 0; i < 100; i++) store.write("tasks/t/1/model.glb", i % 2 == 0 ? b : a);
    stop.set(true);
    reader.join(10_000);
    assertEquals(List.of(), seen, "a reader saw the asset missing or half written");
    assertArrayEquals(a, store.read("tasks/t/1/model.glb"));
    try (Stream<Path> files = Files.list(root.resolve("tasks/t/1"))) {
      assertEquals(List.of("model.glb"), files.map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void keysThatEscapeTheRootAreRefused() throws Exception {
    Files.writeString(tmp.resolve("x"), "outside");
    for (String key : List.of("../x", "tasks/../../x", "/etc/passwd", tmp.resolve("x").toString(), "", ".", "tasks/..")) {
      assertThrows(IllegalArgumentException.class, () -> store.read(key), key);
      assertThrows(IllegalArgumentException.class, () -> store.write(key, new byte[] {1}), key);
      assertThrows(IllegalArgumentException.class, () -> store.exists(key), key);
    }
    assertEquals("outside", Files.readString(tmp.resolve("x")), "nothing outside the root was written");
    // Dots that stay inside are only a path.
    store.write("tasks/a/../b/image.png", new byte[] {2});
    assertArrayEquals(new byte[] {2}, store.read("tasks/b/image.png"));
  }

  @Test
  void sendServesTheAssetAndFailsWithoutOne() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      byte[] bytes = filled(70_000, (byte) 7);
      store.write("tasks/t/1/image.png", bytes);
      List<Throwable> failures = new CopyOnWriteArrayList<>();
      HttpServer server = vertx.createHttpServer().requestHandler(req -> {
        String key = req.getParam("key");
        store.send(req.response(), key, "image/png").onFailure(e -> {
          failures.add(e);
          req.response().setStatusCode(404).end();
        });
      });
      int port = server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
      // The JDK's client, not Vert.x's: one of Vert.x's pooled requests after a sendFile answer
      // could wait for good for a 404 the server had written (about 1 run in 60 here).
      var client = java.net.http.HttpClient.newHttpClient();

      Got ok = get(client, port, "/?key=tasks/t/1/image.png");
      assertEquals(200, ok.status());
      assertEquals("image/png", ok.contentType());
      assertArrayEquals(bytes, ok.body());

      assertEquals(404, get(client, port, "/?key=tasks/t/1/gone.png").status());
      assertEquals(404, get(client, port, "/?key=..%2F..%2Fx").status());
      assertEquals(2, failures.size(), failures.toString());
      assertTrue(failures.get(1) instanceof IllegalArgumentException, failures.get(1).toString());
    } finally {
      vertx.close().await(10, SECONDS);
    }
  }

  private record Got(int status, String contentType, byte[] body) {}

  private static Got get(java.net.http.HttpClient client, int port, String uri) throws Exception {
    var res = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + uri))
        .timeout(java.time.Duration.ofSeconds(10)).GET().build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    return new Got(res.statusCode(), res.headers().firstValue("Content-Type").orElse(null), res.body());
  }

  private static byte[] filled(int n, byte b) {
    byte[] out = new byte[n];
    Arrays.fill(out, b);
    return out;
  }
}
