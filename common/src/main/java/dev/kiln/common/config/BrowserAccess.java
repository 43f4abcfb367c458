package dev.kiln.common.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a browser on another origin needs of the HTTP role: which origins CORS lets read the API,
 * how long an SSE stream token works, and the public address that signed URLs are made absolute
 * with (behind a proxy the node cannot know it).
 */
public record BrowserAccess(
    List<String> corsOrigins,     // exact origins (scheme://host[:port]) a page may call the API from; empty: no CORS headers at all
    String publicUrl,             // e.g. https://kiln.example.com: signed URLs start with it; null: they are relative (/api/v1/...)
    int streamTokenTtlSeconds) {  // how long a stream token from POST /auth/stream-tokens may open an SSE stream

  /** No origin: a node answers no CORS at all until one is named (the API is for backends unless told). */
  public static final String DEFAULT_CORS_ORIGINS = "";
  /**
   * Long enough to mint a token and open the stream, and for EventSource's own reconnects after a
   * dropped connection; short, since it rides in a URL (proxy logs, history). An open stream is
   * not cut when its token expires: the token is checked when a stream opens.
   */
  public static final int DEFAULT_STREAM_TOKEN_TTL_SECONDS = 300;

  static BrowserAccess from(Map<String, String> env) {
    List<String> origins = new ArrayList<>();
    String raw = env.getOrDefault("KILN_CORS_ORIGINS", DEFAULT_CORS_ORIGINS);
    for (String o : raw.split(",")) {
      if (!o.isBlank()) origins.add(origin(o.trim()));
    }
    String url = KilnConfig.blankToNull(env.get("KILN_PUBLIC_URL"));
    return new BrowserAccess(List.copyOf(origins), url == null ? null : publicUrl(url),
        KilnConfig.intIn(env, "KILN_STREAM_TOKEN_TTL_SECONDS", DEFAULT_STREAM_TOKEN_TTL_SECONDS, 10, 86_400));
  }

  /**
   * One allowed origin, in the form a browser sends in {@code Origin} (lower case, no default
   * port). {@code *} is refused: every page on the web could then read what a browser holding a
   * key or stream token fetches, and the list is the record of which apps may.
   */
  static String origin(String o) {
    String name = "KILN_CORS_ORIGINS";
    if (o.equals("*")) throw new ConfigException(name, "'*' is not allowed; list the origins, e.g. https://app.example.com");
    URI u;
    try {
      u = new URI(o);
    } catch (URISyntaxException e) {
      throw new ConfigException(name, "'" + o + "' is not an origin (scheme://host[:port]), e.g. https://app.example.com");
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    boolean bare = (u.getRawPath() == null || u.getRawPath().isEmpty() || u.getRawPath().equals("/")) && u.getRawQuery() == null && u.getRawFragment() == null
        && u.getRawUserInfo() == null;
    if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null || !bare) {
      throw new ConfigException(name, "'" + o + "' is not an origin (scheme://host[:port], no path), e.g. https://app.example.com");
    }
    int port = u.getPort();
    boolean defaultPort = port == -1 || (scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443);
    return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
  }

  /** An http(s) URL with no query or fragment, without its trailing '/': signed paths are appended to it. */
  static String publicUrl(String url) {
    String name = "KILN_PUBLIC_URL";
    URI u;
    try {
      u = new URI(url);
    } catch (URISyntaxException e) {
      throw new ConfigException(name, "'" + url + "' is not a URL, e.g. https://kiln.example.com");
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null || u.getRawQuery() != null
        || u.getRawFragment() != null || u.getRawUserInfo() != null) {
      throw new ConfigException(name, "'" + url + "' must be http(s)://host[:port][/prefix] with no query, e.g. https://kiln.example.com");
    }
    return url.replaceAll("/+$", "");
  }

  /**
   * The origin (scheme://host[:port]) of {@link #publicUrl}, where signed URLs point; null when
   * they are relative. The dashboard's Content-Security-Policy lets images and models load from it.
   */
  public String publicOrigin() {
    if (publicUrl == null) return null;
    URI u = URI.create(publicUrl);
    return origin(u.getScheme() + "://" + u.getRawAuthority());
  }

  /** Whether CORS is on: an origin is named. */
  public boolean cors() {
    return !corsOrigins.isEmpty();
  }
}
