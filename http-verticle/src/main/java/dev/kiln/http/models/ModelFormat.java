package dev.kiln.http.models;

import java.util.Locale;

/** The model files Kiln keeps (models.format): what each is called, sent as, and stored as. */
public enum ModelFormat {
  GLB("glb", "model/gltf-binary"),
  GLTF("gltf", "model/gltf+json"),
  OBJ("obj", "model/obj");

  private final String extension;
  private final String contentType;

  ModelFormat(String extension, String contentType) {
    this.extension = extension;
    this.contentType = contentType;
  }

  public String extension() {
    return extension;
  }

  public String contentType() {
    return contentType;
  }

  /** The format a file name's extension claims (case aside), or null when it names none of them. */
  public static ModelFormat ofFileName(String fileName) {
    if (fileName == null) return null;
    int dot = fileName.lastIndexOf('.');
    String ext = dot < 0 ? "" : fileName.substring(dot + 1).toLowerCase(Locale.ROOT);
    for (ModelFormat f : values()) {
      if (f.extension.equals(ext)) return f;
    }
    return null;
  }

  /** The format a {@code format} field names ("glb", "GLB"), or null. */
  public static ModelFormat ofName(String name) {
    for (ModelFormat f : values()) {
      if (f.name().equalsIgnoreCase(name)) return f;
    }
    return null;
  }
}
