package dev.kiln.http.assets;

import dev.kiln.common.asset.AssetStore;
import dev.kiln.common.asset.AssetUrls;
import dev.kiln.common.hash.Sha256;
import dev.kiln.common.image.BoundedImageDecoder;
import dev.kiln.common.time.Iso;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Json;
import dev.kiln.http.auth.Caller;
import dev.kiln.task.TaskJson;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.Map;

/**
 * {@code POST /api/v1/files}: upload an image (the raw PNG or JPEG as the body) to use as a
 * task's {@code source_image} or {@code reference_image} (seed 004's "file id"). The image is
 * decoded to prove it is one, within the node's image limits (its canvas judged from its header
 * first); the bytes go to the asset store under their SHA-256.
 */
public final class FileRoutes {
  private static final Map<String, String> TYPES = Map.of("image/png", "png", "image/jpeg", "jpg");
  private static final String INSERT =
      "INSERT INTO files (api_client_id, user_id, object_key, mime_type, size_bytes, width, height, checksum) "
          + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, mime_type, size_bytes, width, height, checksum, created_at";
  private static final String GET = "SELECT id, mime_type, size_bytes, width, height, checksum, created_at FROM files "
      + "WHERE id = $1 AND ($2::text IS NULL OR api_client_id = $2) AND ($3::text IS NULL OR user_id = $3)";

  private record Stored(String objectKey, int width, int height, String checksum) {}

  private final Vertx vertx;
  private final Pool pool;
  private final AssetUrls urls;
  private final AssetStore assets;
  private final int uploadLimit;
  private final BoundedImageDecoder decoder;

  /**
   * {@code assets}: where uploads are written, once each, under their content's hash;
   * {@code decoder}: the node's, whose limits an upload must keep.
   */
  public FileRoutes(Vertx vertx, Pool pool, AssetUrls urls, AssetStore assets, int uploadLimit, BoundedImageDecoder decoder) {
    this.vertx = vertx;
    this.pool = pool;
    this.urls = urls;
    this.assets = assets;
    this.uploadLimit = uploadLimit;
    this.decoder = decoder;
  }

  /** Its own body limit: mount before the API's general body handler (which then stands aside). */
  public void mountBodyHandler(Router api) {
    api.post("/files").handler(BodyHandler.create(false).setBodyLimit(uploadLimit));
  }

  public void mount(Router api) {
    api.post("/files").handler(this::upload);
    api.get("/files/:id").handler(this::get);
  }

  /** The file's description with a fresh signed URL, if the caller uploaded it. */
  private void get(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    pool.preparedQuery(GET).execute(caller.owned(Json.pathId(ctx, "id"))).onSuccess(rows -> {
      if (rows.size() == 0) ctx.fail(ApiException.notFound("file"));
      else Json.send(ctx, 200, json(rows.iterator().next()));
    }).onFailure(ctx::fail);
  }

  private JsonObject json(Row r) {
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("mime_type", r.getString("mime_type"))
        .put("size_bytes", r.getLong("size_bytes"))
        .put("width", r.getInteger("width"))
        .put("height", r.getInteger("height"))
        .put("checksum", r.getString("checksum"))
        .put("url", urls.sign(r.getUUID("id")))
        .put("created_at", Iso.of(r.getOffsetDateTime("created_at")));
  }

  private void upload(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    String type = ctx.request().getHeader("Content-Type");
    String mime = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase();
    String ext = TYPES.get(mime);
    if (ext == null) throw new ApiException(415, "unsupported_media_type", "upload the image itself as image/png or image/jpeg");
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) throw ApiException.invalid("invalid_image", "the body is empty");
    byte[] bytes = body.getBytes();
    vertx.executeBlocking(() -> store(bytes, ext), false)
        .compose(s -> pool.preparedQuery(INSERT).execute(Tuple.of(caller.apiClientId(), caller.userId(), s.objectKey(), mime,
            (long) bytes.length, s.width(), s.height()).addString(s.checksum())))
        .onSuccess(rows -> {
          Row r = rows.iterator().next();
          ctx.response().putHeader("Location", "/api/v1/files/" + r.getUUID("id"));
          Json.send(ctx, 201, json(r));
        })
        .onFailure(ctx::fail);
  }

  /** Blocking: decode (bounded), then write once under the content's hash. */
  private Stored store(byte[] bytes, String ext) throws java.io.IOException {
    BoundedImageDecoder.Header size = UploadedImages.check(decoder, bytes, ext);
    String checksum = Sha256.hex(bytes);
    String key = "files/" + checksum.substring(0, 2) + "/" + checksum + "." + ext;
    // The same bytes are the same key: an upload already stored is not written again.
    if (!assets.exists(key)) assets.write(key, bytes);
    return new Stored(key, size.width(), size.height(), checksum);
  }
}
