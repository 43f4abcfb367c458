package dev.kiln.worker.cog;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * RFC 2397 {@code data:} URIs: how Cog takes a file input inline and, by default, returns a file
 * output. Decoding a large one is CPU work: call from {@code executeBlocking}.
 */
final class DataUri {
  /** A data: URI's declared media type (lower case, without parameters) and its bytes. */
  record Decoded(String mimeType, byte[] bytes) {}

  private DataUri() {}

  static boolean is(String s) {
    return s.regionMatches(true, 0, "data:", 0, 5);
  }

  static String encode(String mimeType, byte[] bytes) {
    return "data:" + mimeType + ";base64," + Base64.getEncoder().encodeToString(bytes);
  }

  /** An {@link IllegalArgumentException} when it is not a data: URI with a body. */
  static Decoded decode(String uri) {
    if (!is(uri)) throw new IllegalArgumentException("not a data: URI");
    int comma = uri.indexOf(',');
    if (comma < 0) throw new IllegalArgumentException("a data: URI without its ','");
    String[] meta = uri.substring(5, comma).split(";");
    boolean base64 = meta.length > 1 && meta[meta.length - 1].trim().equalsIgnoreCase("base64");
    // RFC 2397: an absent type means text/plain
    String mime = meta[0].isBlank() ? "text/plain" : meta[0].trim().toLowerCase(Locale.ROOT);
    String data = uri.substring(comma + 1);
    // The MIME decoder skips line breaks, which some servers wrap base64 with.
    byte[] bytes = base64 ? Base64.getMimeDecoder().decode(data) : percentDecoded(data);
    return new Decoded(mime, bytes);
  }

  /** Not URLDecoder: a '+' in a data: URI is a '+', not a space. */
  private static byte[] percentDecoded(String s) {
    byte[] in = s.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
    for (int i = 0; i < in.length; i++) {
      if (in[i] == '%' && i + 2 < in.length) {
        out.write(Integer.parseInt(new String(in, i + 1, 2, StandardCharsets.US_ASCII), 16));
        i += 2;
      } else {
        out.write(in[i]);
      }
    }
    return out.toByteArray();
  }
}
