package dev.kiln.common.config;

import java.util.Map;
import java.util.Set;

/**
 * What the HTTP role needs beyond the basics: URL signing, end-user sessions, uploads, the
 * SMTP server that carries sign-in codes, and the server's timeouts and bounds.
 */
public record ApiConfig(
    String signingKey,        // HMAC key of signed asset URLs; null: derived from the admin key
    int assetUrlTtlSeconds,   // how long a signed asset URL works
    int sessionTtlSeconds,    // how long a bearer token from e-mail sign-in works
    int uploadLimitBytes,     // largest POST /files body
    int modelUploadLimitBytes, // largest POST /models body: the model file, its preview image and the form fields
    int emailCodesPerIp,      // sign-in codes one client address may ask for an hour; 0: no limit
    Smtp smtp,                // null: sign-in codes are logged and written under the data dir
    HttpLimits limits,        // timeouts, the connection bound, the SSE stream caps
    BrowserAccess browser) {  // CORS origins, stream tokens, the public URL of signed URLs

  public static final int DEFAULT_ASSET_URL_TTL = 3_600;
  public static final int DEFAULT_SESSION_TTL = 30 * 24 * 3_600;
  public static final int DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024;
  /** A detailed scan or a textured GLB fits; the upload is held in memory while it is parsed. */
  public static final int DEFAULT_MODEL_UPLOAD_LIMIT = 32 * 1024 * 1024;
  public static final int DEFAULT_EMAIL_CODES_PER_IP = 20;

  /** An SMTP relay; {@code tls} is disabled, optional (STARTTLS when offered), required, or ssl. */
  public record Smtp(String host, int port, String from, String username, String password, String tls) {}

  static ApiConfig from(Map<String, String> env) {
    String key = KilnConfig.blankToNull(env.get("KILN_SIGNING_KEY"));
    if (key != null && key.length() < 16) throw new ConfigException("KILN_SIGNING_KEY", "must be at least 16 characters");
    int urlTtl = KilnConfig.intIn(env, "KILN_ASSET_URL_TTL", DEFAULT_ASSET_URL_TTL, 10, 7 * 24 * 3_600);
    int sessionTtl = KilnConfig.intIn(env, "KILN_SESSION_TTL", DEFAULT_SESSION_TTL, 60, 365 * 24 * 3_600);
    int upload = KilnConfig.intIn(env, "KILN_UPLOAD_LIMIT", DEFAULT_UPLOAD_LIMIT, 1024, 64 * 1024 * 1024);
    int modelUpload = KilnConfig.intIn(env, "KILN_MODEL_UPLOAD_LIMIT", DEFAULT_MODEL_UPLOAD_LIMIT, 1024, 512 * 1024 * 1024);
    int codesPerIp = KilnConfig.intIn(env, "KILN_EMAIL_CODES_PER_IP", DEFAULT_EMAIL_CODES_PER_IP, 0, 1_000_000);
    String host = KilnConfig.blankToNull(env.get("KILN_SMTP_HOST"));
    Smtp smtp = null;
    if (host != null) {
      String tls = env.getOrDefault("KILN_SMTP_TLS", "optional").trim().toLowerCase();
      if (!Set.of("disabled", "optional", "required", "ssl").contains(tls)) {
        throw new ConfigException("KILN_SMTP_TLS", "must be disabled, optional, required or ssl, got '" + tls + "'");
      }
      String from = env.getOrDefault("KILN_SMTP_FROM", "kiln@localhost").trim();
      if (!from.matches("[^@\\s]+@[^@\\s]+")) throw new ConfigException("KILN_SMTP_FROM", "must be an e-mail address, got '" + from + "'");
      smtp = new Smtp(host, KilnConfig.intIn(env, "KILN_SMTP_PORT", 587, 1, 65535), from,
          KilnConfig.blankToNull(env.get("KILN_SMTP_USERNAME")), KilnConfig.blankToNull(env.get("KILN_SMTP_PASSWORD")), tls);
    }
    return new ApiConfig(key, urlTtl, sessionTtl, upload, modelUpload, codesPerIp, smtp, HttpLimits.from(env),
        BrowserAccess.from(env));
  }
}
