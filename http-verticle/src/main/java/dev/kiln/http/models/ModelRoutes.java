package dev.kiln.http.models;

import dev.kiln.common.asset.AssetStore;
import dev.kiln.common.asset.AssetUrls;
import dev.kiln.common.image.BoundedImageDecoder;
import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.ListParams;
import dev.kiln.http.api.Json;
import dev.kiln.http.assets.SignedRequest;
import dev.kiln.http.auth.Caller;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.nio.file.Path;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Models (seed 003's Model, AI-generated or uploaded): {@code POST /models} (upload),
 * {@code GET/PATCH/DELETE /models/{id}}, {@code POST /models/{id}/publish} and {@code /unpublish},
 * and, by signed URL without a key, {@code GET /models/{id}/content} (the file; each counts as a
 * download) and {@code /preview}. A published model is readable by every caller; only its owner
 * changes it. Another's private model is a 404 for every route, as if it did not exist.
 */
public final class ModelRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(ModelRoutes.class);
  private static final Set<String> EDITABLE = Set.of("name", "description");

  private final Models models;
  private final ModelUpload upload;
  private final AssetStore assets;
  private final AssetUrls urls;

  /**
   * {@code modelUploadLimit}: the largest POST /models body (KILN_MODEL_UPLOAD_LIMIT);
   * {@code imageUploadLimit}: the largest preview image in it (KILN_UPLOAD_LIMIT);
   * {@code uploadsDir}: where multipart parts wait while a request is read.
   */
  public ModelRoutes(Vertx vertx, Pool pool, AssetUrls urls, AssetStore assets, long modelUploadLimit, long imageUploadLimit,
      Path uploadsDir, BoundedImageDecoder decoder) {
    this.models = new Models(pool, new ModelJson(urls));
    this.upload = new ModelUpload(vertx, models, assets, modelUploadLimit, imageUploadLimit, uploadsDir, decoder);
    this.assets = assets;
    this.urls = urls;
  }

  Models models() {
    return models;
  }

  /** Before the API's general body handler: the upload's own limit and multipart handling. */
  public void mountBodyHandler(Router api) {
    upload.mountBodyHandler(api);
  }

  /** Before authentication: the signature is the credential. */
  public void mountPublic(Router api) {
    api.get("/models/:id/content").handler(this::content);
    api.get("/models/:id/preview").handler(this::preview);
  }

  public void mount(Router api) {
    api.post("/models").handler(upload::handle);
    api.get("/models/:id").handler(this::get);
    api.patch("/models/:id").handler(this::edit);
    api.delete("/models/:id").handler(this::delete);
    api.post("/models/:id/publish").handler(ctx -> change(ctx, models::publish));
    api.post("/models/:id/unpublish").handler(ctx -> change(ctx, models::unpublish));
  }

  private void get(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    UUID id = Json.pathId(ctx, "id");
    ListParams.none(ctx.queryParams());
    send(ctx, 200, models.get(caller, id));
  }

  /** The owner renames it or changes its description ({@code null} clears it); nothing else is editable. */
  private void edit(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    UUID id = Json.pathId(ctx, "id");
    ListParams.none(ctx.queryParams());
    JsonObject body = Json.body(ctx, EDITABLE);
    if (body.isEmpty()) throw ApiException.invalid("missing_field", "send 'name' or 'description' to change");
    if (body.containsKey("name") && body.getValue("name") == null) {
      throw ApiException.invalid("invalid_field", "'name' cannot be cleared");
    }
    String name = Json.optionalString(body, "name", 200);
    String description = Json.optionalString(body, "description", 2000);
    send(ctx, 200, models.edit(caller, id, name, body.containsKey("description"), description));
  }

  private void delete(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    UUID id = Json.pathId(ctx, "id");
    ListParams.none(ctx.queryParams());
    models.delete(caller, id).onSuccess(d -> {
      switch (d) {
        case DELETED -> ctx.response().setStatusCode(204).end();
        case NOT_FOUND -> ctx.fail(ApiException.notFound("model"));
        case GENERATING -> ctx.fail(new ApiException(409, "model_generating",
            "the model is still being generated: cancel its generation request first"));
      }
    }).onFailure(ctx::fail);
  }

  private interface Change {
    Future<JsonObject> apply(Caller caller, UUID id);
  }

  /** publish / unpublish: a POST with no body (an empty one, or {}), answered with the model. */
  private void change(RoutingContext ctx, Change change) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    UUID id = Json.pathId(ctx, "id");
    ListParams.none(ctx.queryParams());
    noBody(ctx);
    send(ctx, 200, change.apply(caller, id));
  }

  /** An action's POST: no body, or an empty JSON object. */
  static void noBody(RoutingContext ctx) {
    var raw = ctx.body().buffer();
    if (raw == null || raw.length() == 0) return;
    if (!Json.body(ctx, Set.of()).isEmpty()) throw ApiException.invalid("unknown_field", "this action takes no fields");
  }

  private static void send(RoutingContext ctx, int status, Future<JsonObject> model) {
    model.onSuccess(m -> {
      if (m == null) ctx.fail(ApiException.notFound("model"));
      else Json.send(ctx, status, m);
    }).onFailure(ctx::fail);
  }

  /** The model file, to whoever holds its signed URL; counted as a download once sent whole. */
  private void content(RoutingContext ctx) {
    SignedRequest.Verified signed = SignedRequest.verify(ctx, urls, ModelJson::contentSubject);
    models.file(signed.id()).onSuccess(f -> {
      if (f == null) {
        ctx.fail(ApiException.notFound("model"));
        return;
      }
      ctx.response().putHeader("Cache-Control", "private, max-age=" + signed.secondsLeft())
          .putHeader("Content-Disposition", "attachment; filename=\"" + fileName(f) + "\"");
      assets.send(ctx.response(), f.objectKey(), f.format().contentType()).onSuccess(v -> {
        KilnMetrics.modelDownloaded(f.format().name());
        models.downloaded(signed.id()).onFailure(e -> LOG.warn("Download of model {} not counted: {}", signed.id(), e.getMessage()));
      }).onFailure(e -> ctx.fail(ApiException.notFound(e instanceof IllegalArgumentException ? "model" : "model file")));
    }).onFailure(ctx::fail);
  }

  private void preview(RoutingContext ctx) {
    SignedRequest.Verified signed = SignedRequest.verify(ctx, urls, ModelJson::previewSubject);
    models.previewKey(signed.id()).onSuccess(key -> {
      if (key == null) {
        ctx.fail(ApiException.notFound("preview"));
        return;
      }
      ctx.response().putHeader("Cache-Control", "private, max-age=" + signed.secondsLeft());
      String type = key.endsWith(".jpg") || key.endsWith(".jpeg") ? "image/jpeg" : "image/png";
      assets.send(ctx.response(), key, type)
          .onFailure(e -> ctx.fail(ApiException.notFound(e instanceof IllegalArgumentException ? "preview" : "preview file")));
    }).onFailure(ctx::fail);
  }

  /** The model's name as a safe file name, with its format's extension. */
  private static String fileName(Models.File f) {
    String base = f.name().replaceAll("[^A-Za-z0-9._-]+", "_").replaceAll("^[._]+", "");
    if (base.isEmpty()) base = "model";
    if (base.length() > 100) base = base.substring(0, 100);
    return base + "." + f.format().extension();
  }
}
