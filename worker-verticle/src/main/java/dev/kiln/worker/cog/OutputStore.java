package dev.kiln.worker.cog;

import dev.kiln.common.image.BoundedImageDecoder;
import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Outcome;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a succeeded prediction into the attempt's outcome: each file of its output (a URL, fetched
 * without blocking; or a data: URI, decoded off the event loop) stored with {@link Attempt#output},
 * named by {@link OutputFiles.Namer}, its type from what the server declared, else its name, else
 * its bytes. The result carries the output with each file replaced by its file name, the files'
 * checksums, and for one image its size and checksum, as the demo providers' results do.
 */
final class OutputStore {
  private final CogClient client;
  private final Attempt ex;
  private final String provider;

  /** One output file as received: the declared type (or null), a name to guess from (or null), its bytes. */
  private record Received(String declaredType, String name, byte[] bytes) {}

  OutputStore(CogClient client, Attempt ex, String provider) {
    this.client = client;
    this.ex = ex;
    this.provider = provider;
  }

  Future<Outcome> store(Prediction p) {
    List<String> sources = OutputFiles.in(p.output());
    if (sources.isEmpty()) {
      return Future.failedFuture(CogError.failed("the prediction succeeded with no file in its output: " + snippet(p.output())));
    }
    List<Future<Received>> fetched = new ArrayList<>();
    for (int i = 0; i < sources.size(); i++) fetched.add(DataUri.is(sources.get(i)) ? Future.succeededFuture() : fetch(i, sources.get(i)));
    return Future.all(fetched).compose(all -> ex.vertx().executeBlocking(() -> {
      List<Received> files = new ArrayList<>();
      for (int i = 0; i < sources.size(); i++) files.add(DataUri.is(sources.get(i)) ? decoded(i, sources.get(i)) : fetched.get(i).result());
      return outcome(p, files);
    }, false));
  }

  private Future<Received> fetch(int i, String url) {
    return client.fetch(url).recover(e -> Future.failedFuture(e instanceof CogError ? e : CogError.unavailable("output " + i + " " + url + ": " + e)))
        .compose(a -> a.status() == 200 ? Future.succeededFuture(new Received(a.contentType(), URI.create(url).getPath(), a.body().getBytes()))
            : Future.failedFuture(CogError.unavailable("output " + i + " " + url + ": HTTP " + a.status())));
  }

  private static Received decoded(int i, String uri) {
    try {
      DataUri.Decoded d = DataUri.decode(uri);
      return new Received(d.mimeType(), null, d.bytes());
    } catch (IllegalArgumentException e) {
      throw CogError.failed("output " + i + " is not a readable data: URI: " + e.getMessage());
    }
  }

  /** Blocking: stores the files. */
  private Outcome outcome(Prediction p, List<Received> files) throws Exception {
    OutputFiles.Namer namer = new OutputFiles.Namer(ex.toolAction());
    boolean model3d = ex.toolAction().equals("model3d.generate");
    JsonArray assets = new JsonArray();
    List<String> names = new ArrayList<>();
    JsonObject checksums = new JsonObject();
    List<JsonObject> images = new ArrayList<>();
    boolean main = false;
    for (Received f : files) {
      String mime = MediaTypes.of(f.declaredType(), f.name(), f.bytes());
      OutputFiles.Name name = namer.next(mime);
      Integer w = null, h = null;
      if (mime.equals("image/png") || mime.equals("image/jpeg")) {
        BoundedImageDecoder.Header header = ex.decoder().header(f.bytes());
        w = header.width();
        h = header.height();
      }
      JsonObject asset = ex.output(name.fileName(), mime, f.bytes(), w, h);
      if (name.preview()) asset.put("asset_type", "preview");
      else if (MediaTypes.isImage(mime)) images.add(asset);
      main |= model3d ? mime.startsWith("model/") : MediaTypes.isImage(mime);
      assets.add(asset);
      names.add(name.fileName());
      checksums.put(name.fileName(), asset.getString("checksum"));
    }
    if (!main) {
      // The gallery and the next step of a pipeline need the action's kind of file, not just any.
      throw CogError.failed("the output holds no " + (model3d ? "3D model" : "image") + " (got " + names + ")");
    }
    JsonObject result = new JsonObject().put("provider", provider).put("prediction_id", p.id())
        .put("output", OutputFiles.replaced(p.output(), names::get)).put("checksums", checksums)
        .put("predict_time_seconds", p.predictTimeSeconds());
    if (images.size() == 1) {
      JsonObject only = images.get(0);
      result.put("width", only.getInteger("width")).put("height", only.getInteger("height")).put("checksum", only.getString("checksum"));
    }
    return Outcome.success(result, assets);
  }

  private static String snippet(Object output) {
    String s = String.valueOf(output);
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
