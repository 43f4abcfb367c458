package dev.kiln.common.asset;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;

/**
 * Where asset bytes live, by key ({@code tasks/<task id>/<attempt>/image.png},
 * {@code files/<sha256>.png}): the one seam between Kiln and its storage, so the worker, the
 * upload and the download do not each know it is a directory (and an object store can take its
 * place). A key the store cannot hold, such as one that escapes its root, is an
 * {@link IllegalArgumentException} from every method.
 */
public interface AssetStore {
  /**
   * The asset's bytes; {@link java.nio.file.NoSuchFileException} when there is none.
   * Blocking: call from {@code executeBlocking} / a worker thread.
   */
  byte[] read(String key) throws IOException;

  /**
   * Stores the bytes under the key, replacing what was there; atomic, so a reader sees the old
   * asset or the new one, never part of one. Blocking: call from {@code executeBlocking} / a
   * worker thread.
   */
  void write(String key, byte[] bytes) throws IOException;

  /** True when an asset is stored under the key. Blocking: call from {@code executeBlocking} / a worker thread. */
  boolean exists(String key) throws IOException;

  /**
   * Streams the asset as the response's body with this Content-Type, without blocking the
   * event loop. Fails, with nothing sent, when there is no such asset or the key is refused.
   */
  Future<Void> send(HttpServerResponse response, String key, String contentType);
}
