package dev.kiln.common.asset;

import dev.kiln.common.bus.Addresses;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A worker's asset store when its host shares nothing with the HTTP nodes but the network
 * (KILN_WORKER_ASSETS=cluster): every read and write is a series of event-bus requests, one
 * {@link AssetWire#CHUNK_BYTES} chunk each, to the nodes that hold the store (AssetService on the
 * HTTP role), awaited on the calling thread. Those nodes decide what this worker may touch: its
 * running attempts' input images, and their outputs. Failures keep the store's contract: no
 * such asset is {@link NoSuchFileException}, a refused key {@link IllegalArgumentException}, no
 * store node in time {@link AssetStoreUnavailable} (retryable), anything else an IOException.
 */
public final class ClusterAssetStore implements AssetStore {
  /** Beyond the bus's own send timeout, how long the calling thread waits before it gives up itself. */
  static final long WAIT_GRACE_MS = 1_000;

  private final Vertx vertx;
  private final String workerId;
  private final long timeoutMs;

  /** {@code timeoutMs}: how long each request (one chunk) may take (KILN_WORKER_ASSETS_TIMEOUT_MS). */
  public ClusterAssetStore(Vertx vertx, String workerId, long timeoutMs) {
    if (timeoutMs < 1) throw new IllegalArgumentException("timeoutMs must be positive");
    this.vertx = vertx;
    this.workerId = workerId;
    this.timeoutMs = timeoutMs;
  }

  @Override
  public byte[] read(String key) throws IOException {
    Message<Buffer> first = request(Addresses.ASSETS_READ, readRequest(key, 0, AssetWire.CHUNK_BYTES), new DeliveryOptions(), key);
    long size = sizeOf(first, key);
    if (size > AssetWire.MAX_ASSET_BYTES) throw new IOException(key + " is " + size + " bytes, over the cap of " + AssetWire.MAX_ASSET_BYTES);
    byte[] out = new byte[(int) size];
    int offset = take(first, out, 0, key);
    while (offset < size) {
      Message<Buffer> next = request(Addresses.ASSETS_READ, readRequest(key, offset, AssetWire.CHUNK_BYTES), new DeliveryOptions(), key);
      if (sizeOf(next, key) != size) throw new IOException(key + " changed while it was read");
      offset = take(next, out, offset, key);
    }
    return out;
  }

  @Override
  public void write(String key, byte[] bytes) throws IOException {
    if (bytes.length > AssetWire.MAX_ASSET_BYTES) {
      throw new IOException(key + " is " + bytes.length + " bytes, over the cap of " + AssetWire.MAX_ASSET_BYTES);
    }
    int n = Math.min(AssetWire.CHUNK_BYTES, bytes.length);
    Message<Object> reply = request(Addresses.ASSETS_WRITE, Buffer.buffer(n).appendBytes(bytes, 0, n), new DeliveryOptions()
        .addHeader(AssetWire.WORKER_ID, workerId).addHeader(AssetWire.KEY, key)
        .addHeader(AssetWire.SIZE_BYTES, String.valueOf(bytes.length)), key);
    if (n == bytes.length) return;
    // The rest goes to the node that took the first chunk: the part file is on its disk.
    String upload = reply.headers().get(AssetWire.UPLOAD);
    String service = reply.headers().get(AssetWire.SERVICE);
    if (upload == null || service == null) throw new IOException("the asset store took the first chunk of " + key + " as the whole");
    for (int offset = n; offset < bytes.length; offset += n) {
      n = Math.min(AssetWire.CHUNK_BYTES, bytes.length - offset);
      request(Addresses.assetsUpload(service), Buffer.buffer(n).appendBytes(bytes, offset, n), new DeliveryOptions()
          .addHeader(AssetWire.UPLOAD, upload).addHeader(AssetWire.OFFSET, String.valueOf(offset)), key);
    }
  }

  @Override
  public boolean exists(String key) throws IOException {
    try {
      request(Addresses.ASSETS_READ, readRequest(key, 0, 0), new DeliveryOptions(), key);
      return true;
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  /** A worker serves no HTTP: downloads are the HTTP nodes', from their own store. */
  @Override
  public Future<Void> send(HttpServerResponse response, String key, String contentType) {
    return Future.failedFuture(new UnsupportedOperationException("a worker's cluster asset store serves no downloads"));
  }

  private JsonObject readRequest(String key, long offset, int maxBytes) {
    return new JsonObject().put(AssetWire.WORKER_ID, workerId).put(AssetWire.KEY, key)
        .put(AssetWire.OFFSET, offset).put("max_bytes", maxBytes);
  }

  private static long sizeOf(Message<Buffer> reply, String key) throws IOException {
    try {
      return Long.parseLong(reply.headers().get(AssetWire.SIZE_BYTES));
    } catch (NumberFormatException e) {
      throw new IOException("the asset store answered " + key + " without its size");
    }
  }

  /** Copies a chunk in at {@code offset}; returns the offset after it. A short chunk before the end is a changed asset. */
  private static int take(Message<Buffer> reply, byte[] out, int offset, String key) throws IOException {
    Buffer chunk = reply.body();
    int expected = Math.min(AssetWire.CHUNK_BYTES, out.length - offset);
    if (chunk == null || chunk.length() != expected) throw new IOException(key + " changed while it was read");
    chunk.getBytes(0, expected, out, offset);
    return offset + expected;
  }

  /** One request, awaited here (never on an event loop: it would wait on itself), its failure in the store's terms. */
  private <T> Message<T> request(String address, Object body, DeliveryOptions options, String key) throws IOException {
    if (key == null || key.isEmpty()) throw new IllegalArgumentException("an asset key must not be empty");
    if (Context.isOnEventLoopThread()) throw new IllegalStateException("ClusterAssetStore blocks: call it from executeBlocking");
    var reply = vertx.eventBus().<T>request(address, body, options.setSendTimeout(timeoutMs)).toCompletionStage().toCompletableFuture();
    try {
      return reply.get(timeoutMs + WAIT_GRACE_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while moving " + key);
    } catch (TimeoutException e) {
      throw unavailable(key, e);
    } catch (ExecutionException e) {
      throw failure(e.getCause(), key);
    }
  }

  private IOException failure(Throwable cause, String key) {
    if (!(cause instanceof ReplyException r)) return new IOException("asset store: " + cause, cause);
    return switch (r.failureType()) {
      case RECIPIENT_FAILURE -> switch (r.failureCode()) {
        case AssetWire.NOT_FOUND -> new NoSuchFileException(key);
        case AssetWire.REFUSED -> throw new IllegalArgumentException("the asset store refused " + key + ": " + r.getMessage());
        default -> new IOException("asset store: " + r.getMessage(), r);
      };
      // TIMEOUT: the node asked died or is cut off; NO_HANDLERS: no store node is up; ERROR: no connection to it.
      default -> unavailable(key, r);
    };
  }

  private AssetStoreUnavailable unavailable(String key, Throwable cause) {
    return new AssetStoreUnavailable("no asset store node answered for " + key + " within " + timeoutMs
        + " ms (with KILN_WORKER_ASSETS=cluster the HTTP nodes hold the store)", cause);
  }
}
