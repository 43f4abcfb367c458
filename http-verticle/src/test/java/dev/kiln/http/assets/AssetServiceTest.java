package dev.kiln.http.assets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.asset.AssetStoreUnavailable;
import dev.kiln.common.asset.AssetWire;
import dev.kiln.common.asset.ClusterAssetStore;
import dev.kiln.common.asset.DirectoryAssetStore;
import dev.kiln.common.bus.Addresses;
import dev.kiln.testing.Sql;
import dev.kiln.testing.TestStores;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The asset service and a worker's ClusterAssetStore through a real event bus, with the attempts
 * a worker holds in a real PostgreSQL: what crosses, what is refused (and then nothing is
 * written), and what a worker sees when no store node answers.
 */
class AssetServiceTest {
  static final String WORKER = "w-assets-a";
  static final String OTHER_WORKER = "w-assets-b";
  static final UUID TASK = UUID.randomUUID();        // attempt 2 runs on WORKER
  static final UUID OTHERS_TASK = UUID.randomUUID(); // attempt 1 runs on OTHER_WORKER
  static final String INPUT = "files/" + UUID.randomUUID() + ".png";
  static final String GONE_INPUT = "files/" + UUID.randomUUID() + ".png";
  static final long TIMEOUT_MS = 600;

  static Vertx vertx;
  static Path root;
  static DirectoryAssetStore disk;
  static ClusterAssetStore worker;

  @BeforeAll
  static void start() throws Exception {
    String db = TestStores.migratedDatabase();
    try (Sql sql = new Sql(db)) {
      String insert = "INSERT INTO tasks (id, api_client_id, tool_action, queue, status, attempt, worker_id, source_image, reference_image) "
          + "VALUES (?::uuid, 'users', 'image.hires', 'image', 'running', ?, ?, ?, ?)";
      sql.update(insert, TASK.toString(), 2, WORKER, INPUT, GONE_INPUT);
      sql.update(insert, OTHERS_TASK.toString(), 1, OTHER_WORKER, "files/" + UUID.randomUUID() + ".png", null);
    }
    root = Files.createTempDirectory("kiln-asset-service");
    disk = new DirectoryAssetStore(root);
    vertx = Vertx.vertx();
    vertx.deployVerticle(new AssetService(root, db)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    worker = new ClusterAssetStore(vertx, WORKER, TIMEOUT_MS * 10);
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  @Test
  void anOutputOfAHeldAttemptCrossesInChunksBothWays() throws Exception {
    byte[] bytes = random(AssetWire.CHUNK_BYTES * 2 + 12_345); // three chunks each way
    String key = "tasks/" + TASK + "/2/model.glb";
    worker.write(key, bytes);
    assertArrayEquals(bytes, Files.readAllBytes(root.resolve(key)), "the store node's disk holds what the worker wrote");
    assertArrayEquals(bytes, worker.read(key), "and the worker reads it back");
    assertTrue(worker.exists(key));
    try (Stream<Path> files = Files.list(root.resolve("tasks/" + TASK + "/2"))) {
      assertEquals(1, files.count(), "no part file is left beside it");
    }
    byte[] small = random(100);
    worker.write("tasks/" + TASK + "/2/image.png", small);
    assertArrayEquals(small, worker.read("tasks/" + TASK + "/2/image.png"), "a one-chunk asset too");
  }

  @Test
  void aHeldAttemptsInputImageIsReadableAndNobodyElses() throws Exception {
    byte[] png = random(5_000);
    disk.write(INPUT, png);
    assertArrayEquals(png, worker.read(INPUT));
    ClusterAssetStore other = new ClusterAssetStore(vertx, OTHER_WORKER, TIMEOUT_MS * 10);
    assertThrows(IllegalArgumentException.class, () -> other.read(INPUT), "another worker's attempt does not read it");
    assertThrows(IllegalArgumentException.class, () -> other.read("tasks/" + TASK + "/2/image.png"),
        "nor another worker's outputs");
  }

  @Test
  void refusedWritesWriteNothing() throws Exception {
    byte[] bytes = random(AssetWire.CHUNK_BYTES + 1);
    for (String key : new String[] {
        "files/" + UUID.randomUUID() + ".png",                   // outside tasks/: uploads are the HTTP role's
        "models/" + UUID.randomUUID() + "/content.glb",
        "tasks/" + OTHERS_TASK + "/1/image.png",                 // another worker's attempt
        "tasks/" + TASK + "/1/image.png",                        // this task, but not the attempt this worker runs
        "tasks/" + TASK + "/2/../../../files/x.png",             // out of the attempt's own folder
        "tasks/" + UUID.randomUUID() + "/1/image.png"}) {        // no such task
      assertThrows(IllegalArgumentException.class, () -> worker.write(key, bytes), key);
      assertFalse(Files.exists(root.resolve(key).normalize()), key + " was not written");
    }
    try (Stream<Path> all = Files.walk(root)) {
      assertEquals(0, all.filter(p -> p.toString().endsWith(".part")).count(), "no part file either");
    }
  }

  @Test
  void aMissingAssetIsNoSuchFile() throws Exception {
    assertThrows(NoSuchFileException.class, () -> worker.read("tasks/" + TASK + "/2/never-written.png"));
    assertThrows(NoSuchFileException.class, () -> worker.read(GONE_INPUT), "an input the attempt names that is gone");
    assertFalse(worker.exists("tasks/" + TASK + "/2/never-written.png"));
  }

  @Test
  void withNoStoreNodeTheWorkerGetsAnIOExceptionWithinItsTimeout() throws Exception {
    Vertx alone = Vertx.vertx();
    try {
      ClusterAssetStore store = new ClusterAssetStore(alone, WORKER, TIMEOUT_MS);
      long t0 = System.nanoTime();
      assertThrows(AssetStoreUnavailable.class, () -> store.read(INPUT), "no node serves the store");
      assertThrows(AssetStoreUnavailable.class, () -> store.write("tasks/" + TASK + "/2/x.png", random(10)));
      assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS), "no handler is known at once");

      // A node that takes the request and never answers (it hangs, or was cut off after it got it).
      alone.eventBus().consumer(Addresses.ASSETS_READ, m -> {}).completion().toCompletionStage().toCompletableFuture().get();
      t0 = System.nanoTime();
      assertThrows(AssetStoreUnavailable.class, () -> store.read(INPUT));
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertTrue(tookMs >= TIMEOUT_MS - 50 && tookMs < TIMEOUT_MS + 1_000, "it gave up after its timeout, took " + tookMs + " ms");
    } finally {
      alone.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
