package dev.kiln.common.asset;

import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The asset transfer over the event bus between a worker ({@link ClusterAssetStore}) and the
 * nodes that hold the store: message headers, the chunk size, the cap, the failure codes and
 * which keys a worker may write. One owner, so both ends read the same contract.
 */
public final class AssetWire {
  private AssetWire() {}

  /**
   * Bytes per message. The clustered event bus sends a message whole on the one connection
   * between two nodes, so a 40 MB image in one message would hold hand-offs, reports and
   * heartbeats behind it for its whole transfer; 1 MiB chunks let them through in between.
   */
  public static final int CHUNK_BYTES = 1024 * 1024;

  /**
   * The largest asset carried (512 MiB): above any image the pixel limit lets through (a 40 MP
   * 16-bit RGBA PNG is at most ~320 MB) and any model a provider makes. It stops a runaway
   * executor from filling the store node's disk; both ends check it before moving a byte.
   */
  public static final long MAX_ASSET_BYTES = 512L * 1024 * 1024;

  // headers of a write chunk (the body is the chunk's bytes)
  public static final String WORKER_ID = "worker_id";
  public static final String KEY = "key";
  public static final String SIZE_BYTES = "size_bytes";
  public static final String OFFSET = "offset";
  public static final String UPLOAD = "upload";
  /** Header of the first chunk's reply when more chunks follow: the node that took it. */
  public static final String SERVICE = "service";

  // failure codes of a refused request (ReplyException.failureCode), as HTTP would say them
  public static final int NOT_FOUND = 404;
  public static final int REFUSED = 403;
  public static final int TOO_LARGE = 413;
  /** An upload chunk for an upload the node no longer has (idle too long) or out of order. */
  public static final int UPLOAD_LOST = 409;
  public static final int STORE_ERROR = 500;

  /** An output key of an attempt: {@code tasks/<task id>/<attempt>/<file name>}, as Attempt.output makes it. */
  public record OutputKey(UUID taskId, int attempt) {}

  private static final Pattern OUTPUT = Pattern.compile(
      "tasks/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/([1-9][0-9]{0,8})/([^/\\p{Cntrl}]{1,255})");

  /**
   * The attempt a key is an output of, or empty when it is not one: a worker writes only these,
   * never uploads ({@code files/}), models or another prefix.
   */
  public static Optional<OutputKey> outputKey(String key) {
    if (key == null) return Optional.empty();
    Matcher m = OUTPUT.matcher(key);
    if (!m.matches() || m.group(3).equals(".") || m.group(3).equals("..")) return Optional.empty();
    return Optional.of(new OutputKey(UUID.fromString(m.group(1)), Integer.parseInt(m.group(2))));
  }
}
