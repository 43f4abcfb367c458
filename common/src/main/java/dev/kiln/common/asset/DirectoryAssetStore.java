package dev.kiln.common.asset;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * The asset store as a directory ({@code KilnConfig.assetDir()}): a key is a relative path under
 * it. Every key is normalised and must stay under the root, so a stored {@code object_key} such as
 * {@code ../../etc/passwd} reads nothing outside it.
 */
public final class DirectoryAssetStore implements AssetStore {
  private final Path root;

  public DirectoryAssetStore(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /** The directory the keys are relative to. */
  public Path root() {
    return root;
  }

  @Override
  public byte[] read(String key) throws IOException {
    return Files.readAllBytes(file(key));
  }

  /** Written beside its final name, then renamed over it (a rename in one directory is atomic). */
  @Override
  public void write(String key, byte[] bytes) throws IOException {
    Path file = file(key);
    Files.createDirectories(file.getParent());
    // A name of its own per write, so two writers of one key never share a temporary file.
    Path tmp = file.resolveSibling(file.getFileName() + "." + UUID.randomUUID() + ".part");
    try {
      Files.write(tmp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  @Override
  public boolean exists(String key) {
    return Files.isRegularFile(file(key));
  }

  @Override
  public Future<Void> send(HttpServerResponse response, String key, String contentType) {
    Path file;
    try {
      file = file(key);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return response.putHeader("Content-Type", contentType).sendFile(file.toString());
  }

  /** The key's file; refused when the key is not a path strictly under the root. */
  private Path file(String key) {
    if (key == null || key.isEmpty()) throw new IllegalArgumentException("an asset key must not be empty");
    Path file;
    try {
      file = root.resolve(key).normalize();
    } catch (java.nio.file.InvalidPathException e) {
      throw new IllegalArgumentException("asset key '" + key + "' is not a path", e);
    }
    if (!file.startsWith(root) || file.equals(root)) {
      throw new IllegalArgumentException("asset key '" + key + "' escapes the asset store");
    }
    return file;
  }
}
