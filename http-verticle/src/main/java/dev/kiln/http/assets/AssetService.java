package dev.kiln.http.assets;

import dev.kiln.common.asset.AssetWire;
import dev.kiln.common.asset.DirectoryAssetStore;
import dev.kiln.common.bus.Addresses;
import dev.kiln.common.db.Db;
import dev.kiln.task.store.AttemptHolds;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The asset store, served over the event bus to workers on hosts that share only the network
 * (KILN_WORKER_ASSETS=cluster; their side is ClusterAssetStore). One per node that holds the
 * store (the HTTP role). A worker may read the input images of the attempts it runs and their
 * outputs, and write only outputs ({@code tasks/<task id>/<attempt>/<file>}) of an attempt it
 * runs now, as PostgreSQL says ({@link AttemptHolds}); anything else is refused with nothing
 * read or written. A write in several chunks goes to a part file beside the asset, renamed over
 * it when the last chunk lands, so no reader ever sees part of one.
 */
public final class AssetService extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(AssetService.class);

  /** An upload whose next chunk has not come this long is dropped with its part file: its worker died or gave up. */
  public static final long UPLOAD_IDLE_MS = 60_000;
  /** How often idle uploads are looked for. */
  static final long SWEEP_MS = 10_000;

  private final DirectoryAssetStore store;
  private final String databaseUrl;
  /** Names this node's upload address: the later chunks of an upload come to the node that has its part file. */
  private final String serviceId = UUID.randomUUID().toString();
  private final Map<String, Upload> uploads = new HashMap<>(); // upload id -> its state; touched on the event loop only
  private AttemptHolds holds;

  /** A write in chunks, between its first chunk and its last. */
  private static final class Upload {
    final String key;
    final Path part;
    final long sizeBytes;
    long written;
    long touchedAt;
    boolean busy; // a chunk is being appended: the next must wait for its reply, so one here is out of order

    Upload(String key, Path part, long sizeBytes, long written) {
      this.key = key;
      this.part = part;
      this.sizeBytes = sizeBytes;
      this.written = written;
      this.touchedAt = System.currentTimeMillis();
    }
  }

  /** A request the rules refuse: answered {@link AssetWire#REFUSED} with the reason. */
  private static final class Refused extends RuntimeException {
    final int code;

    Refused(int code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  public AssetService(Path assetDir, String databaseUrl) {
    this.store = new DirectoryAssetStore(assetDir);
    this.databaseUrl = databaseUrl;
  }

  @Override
  public Future<?> start() {
    holds = new AttemptHolds(Db.pool(vertx, databaseUrl));
    vertx.setPeriodic(SWEEP_MS, t -> sweep());
    return Future.all(
        vertx.eventBus().<JsonObject>consumer(Addresses.ASSETS_READ, this::onRead).completion(),
        vertx.eventBus().<Buffer>consumer(Addresses.ASSETS_WRITE, this::onWrite).completion(),
        vertx.eventBus().<Buffer>consumer(Addresses.assetsUpload(serviceId), this::onChunk).completion());
  }

  @Override
  public Future<?> stop() {
    List<Path> parts = uploads.values().stream().map(u -> u.part).toList();
    uploads.clear();
    return vertx.executeBlocking(() -> {
      parts.forEach(p -> DirectoryAssetStore.discard(p, null));
      return null;
    }, false);
  }

  /** One chunk of an asset the worker may read; {@code max_bytes} 0 asks only whether it exists (and its size). */
  private void onRead(Message<JsonObject> msg) {
    JsonObject b = msg.body();
    String worker = b.getString(AssetWire.WORKER_ID);
    String key = b.getString(AssetWire.KEY);
    long offset = b.getLong(AssetWire.OFFSET, -1L);
    int max = b.getInteger("max_bytes", -1);
    if (worker == null || key == null || offset < 0 || max < 0 || max > AssetWire.CHUNK_BYTES) {
      fail(msg, new Refused(AssetWire.REFUSED, "a read names worker_id, key, offset >= 0 and max_bytes up to " + AssetWire.CHUNK_BYTES));
      return;
    }
    mayRead(worker, key).compose(ok -> {
      if (!ok) return Future.failedFuture(new Refused(AssetWire.REFUSED, worker + " runs no attempt that reads " + key));
      return vertx.executeBlocking(() -> {
        long size = store.size(key);
        byte[] bytes = max == 0 ? new byte[0] : store.read(key, offset, max);
        return new Chunk(size, bytes);
      }, false);
    }).onSuccess(c -> msg.reply(Buffer.buffer(c.bytes()), new DeliveryOptions().addHeader(AssetWire.SIZE_BYTES, String.valueOf(c.sizeBytes()))))
        .onFailure(e -> fail(msg, e));
  }

  private record Chunk(long sizeBytes, byte[] bytes) {}

  /** The worker's running attempts' outputs, and their input images. */
  private Future<Boolean> mayRead(String worker, String key) {
    Future<Boolean> own = AssetWire.outputKey(key).map(k -> holds.attempt(worker, k.taskId(), k.attempt()))
        .orElse(Future.succeededFuture(false));
    return own.compose(yes -> yes ? Future.succeededFuture(true) : holds.input(worker, key));
  }

  /** The first chunk of a write: checked whole (key, attempt, size) before a byte is written. */
  private void onWrite(Message<Buffer> msg) {
    String worker = msg.headers().get(AssetWire.WORKER_ID);
    String key = msg.headers().get(AssetWire.KEY);
    long size;
    try {
      size = Long.parseLong(msg.headers().get(AssetWire.SIZE_BYTES));
    } catch (NumberFormatException e) {
      size = -1;
    }
    Buffer chunk = msg.body();
    Future<DeliveryOptions> done;
    var output = AssetWire.outputKey(key);
    if (worker == null || output.isEmpty()) {
      done = Future.failedFuture(new Refused(AssetWire.REFUSED, "a worker writes only tasks/<task id>/<attempt>/<file>, not " + key));
    } else if (size < 0 || size > AssetWire.MAX_ASSET_BYTES) {
      done = Future.failedFuture(new Refused(AssetWire.TOO_LARGE, "an asset is 0.." + AssetWire.MAX_ASSET_BYTES + " bytes, not " + size));
    } else if (chunk == null || chunk.length() > AssetWire.CHUNK_BYTES || chunk.length() > size) {
      done = Future.failedFuture(new Refused(AssetWire.REFUSED, "a chunk is at most " + AssetWire.CHUNK_BYTES + " bytes and within its asset"));
    } else {
      long total = size;
      done = holds.attempt(worker, output.get().taskId(), output.get().attempt()).compose(held -> {
        if (!held) {
          return Future.failedFuture(new Refused(AssetWire.REFUSED, worker + " does not run attempt " + output.get().attempt()
              + " of task " + output.get().taskId()));
        }
        return chunk.length() == total ? whole(key, chunk) : begin(key, chunk, total);
      });
    }
    done.onSuccess(reply -> msg.reply(null, reply)).onFailure(e -> fail(msg, e));
  }

  private Future<DeliveryOptions> whole(String key, Buffer chunk) {
    return vertx.executeBlocking(() -> {
      store.write(key, chunk.getBytes());
      return new DeliveryOptions();
    }, false);
  }

  /** Opens an upload with its first chunk; the reply names it and this node. */
  private Future<DeliveryOptions> begin(String key, Buffer chunk, long size) {
    return vertx.executeBlocking(() -> {
      Path part = store.partFile(key);
      try {
        Files.write(part, chunk.getBytes(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      } catch (RuntimeException | java.io.IOException e) {
        DirectoryAssetStore.discard(part, e);
        throw e;
      }
      return part;
    }, false).map(part -> {
      String id = UUID.randomUUID().toString();
      uploads.put(id, new Upload(key, part, size, chunk.length()));
      return new DeliveryOptions().addHeader(AssetWire.UPLOAD, id).addHeader(AssetWire.SERVICE, serviceId);
    });
  }

  /** A later chunk of an upload this node opened, in order; the last one renames the part file over the asset. */
  private void onChunk(Message<Buffer> msg) {
    String id = msg.headers().get(AssetWire.UPLOAD);
    Upload u = id == null ? null : uploads.get(id);
    long offset;
    try {
      offset = Long.parseLong(msg.headers().get(AssetWire.OFFSET));
    } catch (NumberFormatException e) {
      offset = -1;
    }
    Buffer chunk = msg.body();
    if (u == null || u.busy || offset != u.written) {
      fail(msg, new Refused(AssetWire.UPLOAD_LOST, u == null ? "no such upload here (idle over " + UPLOAD_IDLE_MS + " ms, or this node restarted)"
          : "chunk at " + offset + " out of order: " + u.written + " bytes written"));
      return;
    }
    if (chunk == null || chunk.length() == 0 || chunk.length() > AssetWire.CHUNK_BYTES || u.written + chunk.length() > u.sizeBytes) {
      drop(id, u);
      fail(msg, new Refused(AssetWire.REFUSED, "a chunk is 1.." + AssetWire.CHUNK_BYTES + " bytes and within its asset"));
      return;
    }
    u.busy = true;
    boolean last = u.written + chunk.length() == u.sizeBytes;
    vertx.executeBlocking(() -> {
      Files.write(u.part, chunk.getBytes(), StandardOpenOption.APPEND);
      if (last) store.commit(u.part, u.key);
      return null;
    }, false).onSuccess(v -> {
      u.busy = false;
      u.written += chunk.length();
      u.touchedAt = System.currentTimeMillis();
      if (last) uploads.remove(id);
      msg.reply(null);
    }).onFailure(e -> {
      drop(id, u);
      fail(msg, e);
    });
  }

  private void drop(String id, Upload u) {
    uploads.remove(id);
    vertx.executeBlocking(() -> {
      DirectoryAssetStore.discard(u.part, null);
      return null;
    }, false);
  }

  private void sweep() {
    long before = System.currentTimeMillis() - UPLOAD_IDLE_MS;
    for (var e : List.copyOf(uploads.entrySet())) {
      Upload u = e.getValue();
      if (!u.busy && u.touchedAt < before) {
        LOG.info("Dropping the unfinished upload of {} ({} of {} bytes): no chunk for {} ms", u.key, u.written, u.sizeBytes, UPLOAD_IDLE_MS);
        drop(e.getKey(), u);
      }
    }
  }

  /** The failure in the wire's codes: what the worker's store turns back into its own exceptions. */
  private static void fail(Message<?> msg, Throwable e) {
    if (e instanceof Refused r) {
      if (r.code == AssetWire.REFUSED) LOG.warn("Refused a worker's asset request: {}", r.getMessage());
      msg.fail(r.code, r.getMessage());
    } else if (e instanceof NoSuchFileException) {
      msg.fail(AssetWire.NOT_FOUND, "no such asset");
    } else if (e instanceof IllegalArgumentException) {
      msg.fail(AssetWire.REFUSED, e.getMessage()); // a key that escapes the store
    } else {
      LOG.warn("Asset request failed", e);
      msg.fail(AssetWire.STORE_ERROR, String.valueOf(e.getMessage()));
    }
  }
}
