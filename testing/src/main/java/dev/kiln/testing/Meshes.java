package dev.kiln.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Model files for tests, written by hand from the glTF 2.0 and OBJ specifications (not by the
 * library Kiln reads them with, so a test can also make one broken on purpose): a tetrahedron as
 * binary glTF, as glTF JSON with its buffer embedded, and as Wavefront OBJ.
 */
public final class Meshes {
  /** Four corners of a tetrahedron, and its four triangles. */
  public static final float[] POSITIONS = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
  public static final int[] INDICES = {0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3};

  private Meshes() {}

  /** The tetrahedron as a GLB. */
  public static byte[] glb() {
    return glb(json -> {});
  }

  /** A GLB whose glTF JSON {@code edit} may change first (an index accessor's count, a version). */
  public static byte[] glb(Consumer<JsonObject> edit) {
    byte[] bin = bin(INDICES);
    JsonObject gltf = gltfJson(bin.length, null);
    edit.accept(gltf);
    return glb(gltf.encode().getBytes(StandardCharsets.UTF_8), bin);
  }

  /** The tetrahedron as a .gltf, its buffer a data: URI. */
  public static byte[] gltf() {
    byte[] bin = bin(INDICES);
    return gltfJson(bin.length, "data:application/octet-stream;base64," + Base64.getEncoder().encodeToString(bin))
        .encode().getBytes(StandardCharsets.UTF_8);
  }

  /** A .gltf whose buffer is another file next to it (which an upload cannot bring). */
  public static byte[] gltfWithExternalBuffer() {
    return gltfJson(bin(INDICES).length, "tetrahedron.bin").encode().getBytes(StandardCharsets.UTF_8);
  }

  /** The tetrahedron as OBJ text. */
  public static byte[] obj() {
    StringBuilder s = new StringBuilder("# tetrahedron\no tetra\n");
    for (int v = 0; v < POSITIONS.length; v += 3) {
      s.append(String.format(Locale.ROOT, "v %.1f %.1f %.1f%n", POSITIONS[v], POSITIONS[v + 1], POSITIONS[v + 2]));
    }
    for (int t = 0; t < INDICES.length; t += 3) {
      s.append("f ").append(INDICES[t] + 1).append(' ').append(INDICES[t + 1] + 1).append(' ').append(INDICES[t + 2] + 1).append('\n');
    }
    return s.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** POSITION floats then the indices as unsigned shorts, 4-byte aligned. */
  private static byte[] bin(int[] indices) {
    ByteBuffer b = ByteBuffer.allocate(POSITIONS.length * 4 + ((indices.length * 2 + 3) & ~3)).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : POSITIONS) b.putFloat(f);
    for (int i : indices) b.putShort((short) i);
    return b.array();
  }

  private static JsonObject gltfJson(int binLength, String uri) {
    int positionBytes = POSITIONS.length * 4;
    JsonObject buffer = new JsonObject().put("byteLength", binLength);
    if (uri != null) buffer.put("uri", uri);
    return new JsonObject()
        .put("asset", new JsonObject().put("version", "2.0").put("generator", "kiln tests"))
        .put("scene", 0)
        .put("scenes", new JsonArray().add(new JsonObject().put("nodes", new JsonArray().add(0))))
        .put("nodes", new JsonArray().add(new JsonObject().put("mesh", 0)))
        .put("meshes", new JsonArray().add(new JsonObject().put("primitives", new JsonArray().add(new JsonObject()
            .put("attributes", new JsonObject().put("POSITION", 0)).put("indices", 1).put("mode", 4)))))
        .put("buffers", new JsonArray().add(buffer))
        .put("bufferViews", new JsonArray()
            .add(new JsonObject().put("buffer", 0).put("byteOffset", 0).put("byteLength", positionBytes).put("target", 34962))
            .add(new JsonObject().put("buffer", 0).put("byteOffset", positionBytes).put("byteLength", INDICES.length * 2)
                .put("target", 34963)))
        .put("accessors", new JsonArray()
            .add(new JsonObject().put("bufferView", 0).put("componentType", 5126).put("count", POSITIONS.length / 3)
                .put("type", "VEC3").put("min", new JsonArray().add(0).add(0).add(0)).put("max", new JsonArray().add(1).add(1).add(1)))
            .add(new JsonObject().put("bufferView", 1).put("componentType", 5123).put("count", INDICES.length).put("type", "SCALAR")));
  }

  /** The GLB container: a 12-byte header, a JSON chunk (space-padded) and a BIN chunk (zero-padded). */
  private static byte[] glb(byte[] json, byte[] bin) {
    int jsonPadded = (json.length + 3) & ~3, binPadded = (bin.length + 3) & ~3;
    ByteBuffer b = ByteBuffer.allocate(12 + 8 + jsonPadded + 8 + binPadded).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0x46546C67).putInt(2).putInt(b.capacity());
    b.putInt(jsonPadded).putInt(0x4E4F534A).put(json);
    for (int i = json.length; i < jsonPadded; i++) b.put((byte) ' ');
    b.putInt(binPadded).putInt(0x004E4942).put(bin);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(b.array());
    return out.toByteArray();
  }
}
