package dev.kiln.common.asset;

import dev.kiln.common.config.KilnConfig;
import dev.kiln.common.hash.Sha256;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed, expiring asset URLs: {@code /api/v1/assets/{id}/content?expires=<unix s>&signature=<mac>}.
 * Whoever holds one may fetch the file until it expires (an {@code <img src>}, a partner's
 * download) without a key; nobody can forge one or extend it. Every node that signs (HTTP nodes for
 * the API, the leading dispatcher for webhooks) must share the key.
 */
public final class AssetUrls {
  private final SecretKeySpec key;
  private final int ttlSeconds;
  /** Put before every signed path ("" keeps them relative): KILN_PUBLIC_URL, for clients that see only the JSON (webhooks, other origins). */
  private final String base;

  public AssetUrls(String secret, int ttlSeconds) {
    this(secret, ttlSeconds, null);
  }

  /** {@code publicUrl}: what signed URLs start with (no trailing '/'); null: they are relative. */
  public AssetUrls(String secret, int ttlSeconds, String publicUrl) {
    this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    this.ttlSeconds = ttlSeconds;
    this.base = publicUrl == null ? "" : publicUrl;
  }

  /** The configured key, else one every node derives alike from the admin key. */
  public static AssetUrls of(KilnConfig config) {
    String key = config.api().signingKey();
    if (key == null) {
      if (config.adminKey() == null) throw new IllegalStateException("KILN_SIGNING_KEY or KILN_ADMIN_KEY must be set");
      key = Sha256.hex("kiln asset URLs\n" + config.adminKey());
    }
    return new AssetUrls(key, config.api().assetUrlTtlSeconds(), config.api().browser().publicUrl());
  }

  /** A URL for this asset (or uploaded file) that works for the configured time from now. */
  public String sign(UUID assetId) {
    long expires = System.currentTimeMillis() / 1000 + ttlSeconds;
    return base + "/api/v1/assets/" + assetId + "/content?expires=" + expires + "&signature=" + mac(assetId, expires);
  }

  /** True when the signature is this node's for (id, expires); expiry is checked by the caller. */
  public boolean authentic(UUID assetId, long expires, String signature) {
    return authentic(assetId.toString(), expires, signature);
  }

  /**
   * A URL of {@code path} (under /api/v1, served without a key) that works for the configured
   * time from now for {@code subject}: what the route will check it against, e.g.
   * {@code model/<id>/content}. A subject always holds a '/', so no signature made for one can
   * pass as an asset's (whose subject is its bare id), nor the reverse.
   */
  public String sign(String path, String subject) {
    if (subject.indexOf('/') < 0) throw new IllegalArgumentException("a subject names what it is: kind/id/part");
    long expires = System.currentTimeMillis() / 1000 + ttlSeconds;
    return base + path + "?expires=" + expires + "&signature=" + mac(subject, expires);
  }

  /**
   * The signature of {@code subject} until {@code expires}, with the same key and domain rule as
   * {@link #sign(String, String)} (a '/' in the subject), for a credential that is not a URL: an
   * SSE stream token, which any HTTP node can then check.
   */
  public String signature(String subject, long expires) {
    if (subject.indexOf('/') < 0) throw new IllegalArgumentException("a subject names what it is: kind/id/part");
    return mac(subject, expires);
  }

  /** True when the signature is this node's for (subject, expires); expiry is checked by the caller. */
  public boolean authentic(String subject, long expires, String signature) {
    return MessageDigest.isEqual(mac(subject, expires).getBytes(StandardCharsets.US_ASCII),
        signature.getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * A task as the API shows it: {@code result.input_preview} is a signed URL of its first input
   * image (seed 000 inputPreview); the row keeps only the asset's id, since URLs expire.
   */
  public JsonObject present(JsonObject task) {
    presentResult(task.getJsonObject("result"));
    return task;
  }

  /**
   * A task's result as the API shows it (also a {@code completed} event's): {@code input_preview},
   * and a signed {@code url} on each of {@code outputs}, the output assets the settlement wrote
   * into it. Null passes.
   */
  public JsonObject presentResult(JsonObject result) {
    if (result == null) return null;
    if (result.getValue("input_preview_asset_id") instanceof String id) {
      result.put("input_preview", sign(UUID.fromString(id)));
    }
    if (result.getValue("outputs") instanceof JsonArray outputs) {
      for (Object o : outputs) {
        if (o instanceof JsonObject out && out.getValue("asset_id") instanceof String id) out.put("url", sign(UUID.fromString(id)));
      }
    }
    return result;
  }

  private String mac(UUID assetId, long expires) {
    return mac(assetId.toString(), expires);
  }

  private String mac(String subject, long expires) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      byte[] sig = mac.doFinal((subject + "\n" + expires).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A model's file ({@code part} "content") or preview ("preview"): the path its signed URL names. */
  public static String modelPath(UUID modelId, String part) {
    return "/api/v1/models/" + modelId + "/" + part;
  }

  /** What a model part's signature is made for (a '/' in it: never an asset's). */
  public static String modelSubject(UUID modelId, String part) {
    return "model/" + modelId + "/" + part;
  }

  /** A signed URL of a model's file or preview, served by GET /models/{id}/{part}, which counts the downloads. */
  public String signModel(UUID modelId, String part) {
    return sign(modelPath(modelId, part), modelSubject(modelId, part));
  }

  /**
   * A generation request (seed 003) as the API shows it, from its store view: each image's and
   * the model's asset ids become signed URLs ({@code image_url}, {@code model_url},
   * {@code preview_image_url}); the store's internal fields go.
   */
  public JsonObject presentRequest(JsonObject r) {
    io.vertx.core.json.JsonArray images = new io.vertx.core.json.JsonArray();
    for (Object o : r.getJsonArray("images")) {
      JsonObject i = (JsonObject) o;
      String asset = i.getString("asset_id");
      images.add(new JsonObject().put("index", i.getInteger("index")).put("status", i.getString("image_status"))
          .put("seed", i.getLong("seed")).put("task_id", i.getString("task_id")).put("progress", i.getInteger("progress"))
          .put("image_url", asset == null ? null : sign(UUID.fromString(asset)))
          .put("width", i.getInteger("width")).put("height", i.getInteger("height"))
          .put("error_message", i.getString("error_message")).put("completed_at", i.getString("completed_at")));
    }
    r.put("images", images);
    JsonObject m = r.getJsonObject("model");
    if (m != null) {
      // the model's own URLs (GET /models/{id}/content counts its downloads), once it has its files
      UUID id = UUID.fromString(m.getString("id"));
      boolean done = "COMPLETED".equals(m.getString("status"));
      m.remove("model_asset_id");
      boolean preview = m.remove("preview_asset_id") != null;
      m.put("model_url", done ? signModel(id, "content") : null);
      m.put("preview_image_url", done && preview ? signModel(id, "preview") : null);
    }
    return r;
  }
}
