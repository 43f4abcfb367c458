package dev.kiln.http.assets;

import dev.kiln.common.asset.AssetUrls;
import dev.kiln.http.api.ApiException;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * A request by signed, expiring URL ({@code ?expires=<unix s>&signature=<mac>}): the signature is
 * its credential, so it is checked whole before anything is looked up. One reading for every
 * route served that way (task assets and files, a model's file and preview).
 */
public final class SignedRequest {
  private SignedRequest() {}

  /**
   * The {@code :id} of the request, once its URL is this node's signature for
   * {@code subject.apply(id)} and has not expired; else a 403 ({@code invalid_signature},
   * {@code url_expired}), or a 400 for a query parameter it does not know.
   */
  public static Verified verify(RoutingContext ctx, AssetUrls urls, Function<UUID, String> subject) {
    var p = ctx.queryParams();
    for (String name : p.names()) {
      if (!Set.of("expires", "signature").contains(name)) {
        throw ApiException.badRequest("unknown_parameter", "unknown query parameter '" + name + "'");
      }
    }
    String expiresText = p.get("expires");
    String signature = p.get("signature");
    if (expiresText == null || signature == null || !expiresText.matches("\\d{1,12}") || !signature.matches("[A-Za-z0-9_-]{43}")) {
      throw new ApiException(403, "invalid_signature", "this URL is not a signed URL; ask the API for a fresh one");
    }
    UUID id;
    try {
      id = UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      throw new ApiException(403, "invalid_signature", "this URL is not a signed URL");
    }
    long expires = Long.parseLong(expiresText);
    if (!urls.authentic(subject.apply(id), expires, signature)) {
      throw new ApiException(403, "invalid_signature", "the signature does not match this URL and expiry");
    }
    long left = expires - System.currentTimeMillis() / 1000;
    if (left <= 0) throw new ApiException(403, "url_expired", "this URL has expired; ask the API for a fresh one");
    return new Verified(id, left);
  }

  /** The id a signed URL names, and the seconds it still works (a cache may keep the answer as long). */
  public record Verified(UUID id, long secondsLeft) {}
}
