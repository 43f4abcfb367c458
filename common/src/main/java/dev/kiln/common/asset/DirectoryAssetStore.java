package dev.kiln.common.asset;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
    Path tmp = partFile(key);
    try {
      Files.write(tmp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      commit(tmp, key);
    } catch (IOException | RuntimeException e) {
      discard(tmp, e);
      throw e;
    }
  }

  /**
   * A fresh, not yet existing part file beside the key's file, for a write that arrives in
   * pieces (an asset over the cluster): append to it, then {@link #commit} it. Blocking.
   */
  public Path partFile(String key) throws IOException {
    Path file = file(key);
    Files.createDirectories(file.getParent());
    // A name of its own per write, so two writers of one key never share a temporary file.
    return file.resolveSibling(file.getFileName() + "." + UUID.randomUUID() + ".part");
  }

  /** Renames a finished part file over the key's file: readers see the old asset or the new one. Blocking. */
  public void commit(Path part, String key) throws IOException {
    Files.move(part, file(key), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Deletes a part file that will not be committed; a failure to is added to {@code cause}. */
  public static void discard(Path part, Throwable cause) {
    try {
      Files.deleteIfExists(part);
    } catch (IOException cleanup) {
      if (cause != null) cause.addSuppressed(cleanup);
    }
  }

  /** The asset's size; {@link java.nio.file.NoSuchFileException} when there is none. Blocking. */
  public long size(String key) throws IOException {
    Path file = file(key);
    if (!Files.isRegularFile(file)) throw new java.nio.file.NoSuchFileException(key);
    return Files.size(file);
  }

  /**
   * Up to {@code maxBytes} of the asset from {@code offset} (fewer at its end); a read in
   * pieces, for a worker on another host. Blocking.
   */
  public byte[] read(String key, long offset, int maxBytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file(key), StandardOpenOption.READ)) {
      long left = Math.max(0, ch.size() - offset);
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(maxBytes, left));
      while (buf.hasRemaining() && ch.read(buf, offset + buf.position()) >= 0) {
        // a positional read may return fewer bytes than asked: read on
      }
      return buf.position() == buf.capacity() ? buf.array() : java.util.Arrays.copyOf(buf.array(), buf.position());
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
