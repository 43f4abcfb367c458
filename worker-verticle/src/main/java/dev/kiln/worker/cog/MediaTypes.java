package dev.kiln.worker.cog;

import java.util.Locale;
import java.util.Map;

/**
 * The media type of an output file, from what the server said (a data: URI's header, a
 * Content-Type), else the URL's extension, else the bytes' signature; and the extension its file
 * name takes. Only the types Kiln's actions make are named; the rest are octet streams.
 */
final class MediaTypes {
  static final String OCTET_STREAM = "application/octet-stream";

  private static final Map<String, String> BY_EXTENSION = Map.ofEntries(
      Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"),
      Map.entry("webp", "image/webp"), Map.entry("gif", "image/gif"),
      Map.entry("glb", "model/gltf-binary"), Map.entry("gltf", "model/gltf+json"), Map.entry("obj", "model/obj"),
      Map.entry("ply", "model/ply"), Map.entry("json", "application/json"), Map.entry("txt", "text/plain"));

  private static final Map<String, String> EXTENSION = Map.of(
      "image/png", "png", "image/jpeg", "jpg", "image/webp", "webp", "image/gif", "gif",
      "model/gltf-binary", "glb", "model/gltf+json", "gltf", "model/obj", "obj", "model/ply", "ply",
      "application/json", "json", "text/plain", "txt");

  private MediaTypes() {}

  /** {@code declared} (a header, possibly with parameters; null: none), else the name's extension, else a sniff. */
  static String of(String declared, String name, byte[] bytes) {
    String type = declared == null ? "" : declared.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    // A server that calls everything an octet stream says nothing about the file.
    if (!type.isEmpty() && !type.equals(OCTET_STREAM) && !type.equals("binary/octet-stream")) return type;
    int dot = name == null ? -1 : name.lastIndexOf('.');
    if (dot >= 0) {
      String byName = BY_EXTENSION.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
      if (byName != null) return byName;
    }
    return sniff(bytes);
  }

  /** The file name extension for the type; {@code bin} for one not named here. */
  static String extension(String mimeType) {
    return EXTENSION.getOrDefault(mimeType, "bin");
  }

  static boolean isImage(String mimeType) {
    return mimeType.startsWith("image/");
  }

  private static String sniff(byte[] b) {
    if (starts(b, 0x89, 'P', 'N', 'G')) return "image/png";
    if (starts(b, 0xff, 0xd8, 0xff)) return "image/jpeg";
    if (starts(b, 'g', 'l', 'T', 'F')) return "model/gltf-binary";
    if (starts(b, 'R', 'I', 'F', 'F') && b.length >= 12 && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') return "image/webp";
    return OCTET_STREAM;
  }

  private static boolean starts(byte[] b, int... magic) {
    if (b.length < magic.length) return false;
    for (int i = 0; i < magic.length; i++) {
      if ((b[i] & 0xff) != magic[i]) return false;
    }
    return true;
  }
}
