package dev.kiln.http.assets;

import dev.kiln.common.asset.AssetStore;
import dev.kiln.common.asset.AssetUrls;
import dev.kiln.http.api.ApiException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/** {@code GET /api/v1/assets/{id}/content}: a download by signed URL, no key needed. */
public final class AssetRoutes {
  /** An output or input asset of a live task, or an uploaded file: same id space (UUIDs). */
  private static final String FIND =
      "SELECT a.object_key, a.mime_type FROM task_assets a JOIN tasks t ON t.id = a.task_id WHERE a.id = $1 AND NOT t.is_deleted "
          + "UNION ALL SELECT object_key, mime_type FROM files WHERE id = $1 LIMIT 1";

  private final Pool pool;
  private final AssetUrls urls;
  private final AssetStore assets;

  /** {@code assets}: where the bytes are; it refuses a stored key that would reach outside it. */
  public AssetRoutes(Pool pool, AssetUrls urls, AssetStore assets) {
    this.pool = pool;
    this.urls = urls;
    this.assets = assets;
  }

  /** Mount before authentication: the signature is the credential. */
  public void mount(Router api) {
    api.get("/assets/:id/content").handler(this::content);
  }

  private void content(RoutingContext ctx) {
    SignedRequest.Verified signed = SignedRequest.verify(ctx, urls, UUID::toString);
    UUID id = signed.id();
    long left = signed.secondsLeft();
    pool.preparedQuery(FIND).execute(Tuple.of(id)).onSuccess(rows -> {
      if (rows.size() == 0) {
        ctx.fail(ApiException.notFound("asset"));
        return;
      }
      var r = rows.iterator().next();
      ctx.response().putHeader("Cache-Control", "private, max-age=" + left);
      // A key the store refuses (it would escape it) is no asset; a missing file is a lost one.
      assets.send(ctx.response(), r.getString("object_key"), r.getString("mime_type"))
          .onFailure(e -> ctx.fail(ApiException.notFound(e instanceof IllegalArgumentException ? "asset" : "asset file")));
    }).onFailure(ctx::fail);
  }
}
