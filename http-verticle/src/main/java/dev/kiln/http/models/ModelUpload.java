package dev.kiln.http.models;

import dev.kiln.common.asset.AssetStore;
import dev.kiln.common.hash.Sha256;
import dev.kiln.common.image.BoundedImageDecoder;
import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.assets.UploadedImages;
import dev.kiln.http.auth.Caller;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /api/v1/models}: a user's own model (source USER_UPLOADED), as
 * {@code multipart/form-data}: a {@code file} part (.glb, .gltf with embedded buffers, or .obj),
 * optionally a {@code preview} part (PNG or JPEG) and the fields {@code name}, {@code description}
 * and {@code format} (else the file name's extension says it). The file is read whole by a real
 * reader before anything is stored ({@link ModelFiles}); the preview is decoded within the node's
 * image limits, or, when none is sent, drawn from the model's triangles ({@link ModelPreview}).
 */
final class ModelUpload {
  static final Set<String> FIELDS = Set.of("name", "description", "format");
  static final Set<String> PARTS = Set.of("file", "preview");
  private static final Map<String, String> IMAGE_TYPES = Map.of("image/png", "png", "image/jpeg", "jpg");

  private final Vertx vertx;
  private final Models models;
  private final AssetStore assets;
  private final long bodyLimit;
  private final long previewLimit;
  private final Path uploadsDir;
  private final BoundedImageDecoder decoder;

  /**
   * {@code bodyLimit}: the largest request (KILN_MODEL_UPLOAD_LIMIT); {@code previewLimit}: the
   * largest preview image (KILN_UPLOAD_LIMIT, as for any uploaded image); {@code uploadsDir}: where
   * the parts wait on disk while the request is read, deleted when it ends.
   */
  ModelUpload(Vertx vertx, Models models, AssetStore assets, long bodyLimit, long previewLimit, Path uploadsDir,
      BoundedImageDecoder decoder) {
    this.vertx = vertx;
    this.models = models;
    this.assets = assets;
    this.bodyLimit = bodyLimit;
    this.previewLimit = previewLimit;
    this.uploadsDir = uploadsDir;
    this.decoder = decoder;
  }

  /** Its own body limit and multipart parts on disk: mount before the API's general body handler. */
  void mountBodyHandler(Router api) {
    api.post("/models").handler(BodyHandler.create(uploadsDir.toString()).setBodyLimit(bodyLimit)
        .setDeleteUploadedFilesOnEnd(true).setMergeFormAttributes(false));
  }

  void handle(RoutingContext ctx) {
    Caller caller = ctx.get(Caller.CONTEXT_KEY);
    for (String name : ctx.queryParams().names()) {
      throw ApiException.badRequest("unknown_parameter", "unknown query parameter '" + name + "'");
    }
    String type = ctx.request().getHeader("Content-Type");
    if (type == null || !type.split(";", 2)[0].trim().equalsIgnoreCase("multipart/form-data")) {
      throw new ApiException(415, "unsupported_media_type", "upload the model as multipart/form-data: a 'file' part "
          + "(.glb, .gltf or .obj), optionally a 'preview' part (PNG or JPEG) and the fields name, description, format");
    }
    Form form = Form.read(ctx.request().formAttributes(), ctx.fileUploads(), previewLimit);
    vertx.executeBlocking(() -> store(form), false)
        .compose(upload -> models.insert(caller, upload))
        .onSuccess(model -> {
          KilnMetrics.modelUploaded(model.getString("format"));
          ctx.response().putHeader("Location", "/api/v1/models/" + model.getString("id"));
          dev.kiln.http.api.Json.send(ctx, 201, model);
        })
        .onFailure(ctx::fail);
  }

  /** The request's parts and fields, read strictly: each known, each at most once, each bounded. */
  private record Form(FileUpload file, FileUpload preview, String previewExt, ModelFormat format, String name, String description) {
    static Form read(MultiMap fields, List<FileUpload> uploads, long previewLimit) {
      for (String k : fields.names()) {
        if (!FIELDS.contains(k)) throw ApiException.invalid("unknown_field", "unknown field '" + k + "'");
        if (fields.getAll(k).size() > 1) throw ApiException.invalid("invalid_field", "'" + k + "' given twice");
      }
      FileUpload file = null, preview = null;
      for (FileUpload u : uploads) {
        if (!PARTS.contains(u.name())) throw ApiException.invalid("unknown_field", "unknown part '" + u.name() + "'");
        if (u.name().equals("file")) {
          if (file != null) throw ApiException.invalid("invalid_field", "one 'file' part per model");
          file = u;
        } else {
          if (preview != null) throw ApiException.invalid("invalid_field", "one 'preview' part per model");
          preview = u;
        }
      }
      if (file == null) throw ApiException.invalid("missing_field", "the 'file' part (the model file) is required");
      ModelFormat format;
      if (fields.get("format") != null) {
        format = ModelFormat.ofName(fields.get("format"));
        if (format == null) throw ApiException.invalid("invalid_field", "'format' is GLB, GLTF or OBJ");
      } else {
        format = ModelFormat.ofFileName(file.fileName());
        if (format == null) {
          throw ApiException.invalid("invalid_field", "the file's name does not end in .glb, .gltf or .obj: say its 'format'");
        }
      }
      String previewExt = null;
      if (preview != null) {
        String mime = preview.contentType() == null ? "" : preview.contentType().split(";", 2)[0].trim().toLowerCase();
        previewExt = IMAGE_TYPES.get(mime);
        if (previewExt == null) throw new ApiException(415, "unsupported_media_type", "the preview is image/png or image/jpeg");
        if (preview.size() > previewLimit) {
          throw new ApiException(413, "payload_too_large", "the preview is over " + previewLimit + " bytes");
        }
      }
      String name = text(fields.get("name"), "name", 200);
      if (name == null) name = defaultName(file.fileName());
      return new Form(file, preview, previewExt, format, name, text(fields.get("description"), "description", 2000));
    }

    /** The file's name without its extension, or "Untitled". */
    private static String defaultName(String fileName) {
      String base = fileName == null ? "" : fileName.substring(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
      int dot = base.lastIndexOf('.');
      base = (dot > 0 ? base.substring(0, dot) : base).replace('\0', ' ').strip();
      if (base.isEmpty()) return "Untitled";
      return base.length() > 200 ? base.substring(0, 200) : base;
    }

    private static String text(String v, String field, int max) {
      if (v == null) return null;
      if (v.isBlank() || v.length() > max) throw ApiException.invalid("invalid_field", "'" + field + "' must be 1 to " + max + " characters");
      if (v.indexOf('\0') >= 0 || v.indexOf('\uFFFD') >= 0) {
        throw ApiException.invalid("invalid_field", "'" + field + "' must be UTF-8 text without U+0000");
      }
      return v;
    }
  }

  /** Blocking: prove the file (and the preview), then write both under their content's hash. */
  private Models.Upload store(Form f) throws IOException {
    byte[] bytes = Files.readAllBytes(Path.of(f.file().uploadedFileName()));
    ModelFiles.Mesh mesh = ModelFiles.check(bytes, f.format());
    byte[] preview;
    String previewExt;
    if (f.preview() != null) {
      preview = Files.readAllBytes(Path.of(f.preview().uploadedFileName()));
      if (preview.length == 0) throw ApiException.invalid("invalid_image", "the preview is empty");
      UploadedImages.check(decoder, preview, f.previewExt());
      previewExt = f.previewExt();
    } else {
      preview = ModelPreview.png(mesh);
      previewExt = "png";
    }
    String key = keep("models", bytes, f.format().extension());
    String previewKey = keep("models/previews", preview, previewExt);
    return new Models.Upload(f.name(), f.description(), key, previewKey, f.format(), bytes.length);
  }

  /** The same bytes are the same key: what is already stored is not written again. */
  private String keep(String dir, byte[] bytes, String ext) throws IOException {
    String sha = Sha256.hex(bytes);
    String key = dir + "/" + sha.substring(0, 2) + "/" + sha + "." + ext;
    if (!assets.exists(key)) assets.write(key, bytes);
    return key;
  }
}
