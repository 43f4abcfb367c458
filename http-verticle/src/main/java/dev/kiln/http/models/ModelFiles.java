package dev.kiln.http.models;

import de.javagl.jgltf.model.AccessorData;
import de.javagl.jgltf.model.AccessorFloatData;
import de.javagl.jgltf.model.AccessorModel;
import de.javagl.jgltf.model.BufferModel;
import de.javagl.jgltf.model.BufferViewModel;
import de.javagl.jgltf.model.ElementType;
import de.javagl.jgltf.model.GltfConstants;
import de.javagl.jgltf.model.GltfModel;
import de.javagl.jgltf.model.GltfModels;
import de.javagl.jgltf.model.MeshModel;
import de.javagl.jgltf.model.MeshPrimitiveModel;
import de.javagl.jgltf.model.io.GltfAsset;
import de.javagl.jgltf.model.io.GltfAssetReader;
import de.javagl.jgltf.model.io.GltfReference;
import de.javagl.jgltf.model.io.v2.GltfAssetV2;
import de.javagl.obj.Obj;
import de.javagl.obj.ObjFace;
import de.javagl.obj.ObjReader;
import dev.kiln.http.api.ApiException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Proves an uploaded model file is what it claims: read whole by a real reader (jgltf for glTF
 * 2.0 and GLB, de.javagl obj for Wavefront OBJ), with at least one triangle, every index inside
 * its vertices and every accessor inside its buffer; anything else is {@code 422 invalid_model}.
 * Blocking (it reads every index): call from {@code executeBlocking}.
 */
public final class ModelFiles {
  /** At most this many triangles are kept for the preview; the check itself reads them all. */
  static final int PREVIEW_TRIANGLES = 200_000;
  private static final int GLB_MAGIC = 0x46546C67; // "glTF", little-endian

  private ModelFiles() {}

  /**
   * What the file holds: its vertex and triangle counts, and a mesh to draw a preview from
   * ({@code positions} x,y,z per vertex; {@code triangles} three vertex indices each, at most
   * {@link #PREVIEW_TRIANGLES} of them).
   */
  public record Mesh(ModelFormat format, long vertexCount, long triangleCount, float[] positions, int[] triangles) {}

  /** The file read as {@code claimed}; a 422 {@code invalid_model} saying why when it is not one. */
  public static Mesh check(byte[] bytes, ModelFormat claimed) {
    if (bytes.length == 0) throw invalid("the model file is empty");
    boolean glb = bytes.length >= 4 && littleEndianInt(bytes, 0) == GLB_MAGIC;
    if (glb != (claimed == ModelFormat.GLB)) {
      throw invalid(glb ? "the file is binary glTF (.glb), not " + claimed.extension()
          : "the file is not binary glTF (no glTF header)");
    }
    try {
      return claimed == ModelFormat.OBJ ? obj(bytes) : gltf(bytes, claimed);
    } catch (ApiException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // The readers' own complaints (bad JSON, a short chunk, an unknown enum) are the reason.
      throw invalid("the file is not a readable " + claimed.extension() + " model: " + e.getMessage());
    }
  }

  private static Mesh gltf(byte[] bytes, ModelFormat claimed) throws IOException {
    GltfAssetReader reader = new GltfAssetReader();
    reader.setJsonErrorConsumer(e -> {
      throw invalid("the glTF JSON is not valid at " + e.getJsonPathString() + ": " + e.getMessage());
    });
    GltfAsset asset = reader.readWithoutReferences(new ByteArrayInputStream(bytes));
    if (!(asset instanceof GltfAssetV2 v2) || v2.getGltf().getAsset() == null
        || v2.getGltf().getAsset().getVersion() == null || !v2.getGltf().getAsset().getVersion().startsWith("2.")) {
      throw invalid("only glTF 2.0 is accepted");
    }
    // A file on its own cannot bring its neighbours: external buffers and images are refused.
    for (GltfReference ref : v2.getReferences()) {
      if (!ref.getUri().startsWith("data:")) {
        throw invalid("the model refers to an outside file '" + ref.getUri() + "': upload a .glb, or a .gltf with embedded data: URIs");
      }
    }
    GltfModel model = GltfModels.create(asset);
    for (BufferModel b : model.getBufferModels()) {
      if (b.getBufferData() == null || b.getBufferData().capacity() < b.getByteLength()) {
        throw invalid("a buffer is shorter than its byteLength");
      }
    }
    for (BufferViewModel v : model.getBufferViewModels()) {
      if ((long) v.getByteOffset() + v.getByteLength() > v.getBufferModel().getByteLength()) {
        throw invalid("a bufferView reaches past the end of its buffer");
      }
    }
    MeshBuilder mesh = new MeshBuilder(claimed);
    for (MeshModel m : model.getMeshModels()) {
      for (MeshPrimitiveModel p : m.getMeshPrimitiveModels()) mesh.add(p);
    }
    return mesh.build();
  }

  /** Gathers the triangles of glTF primitives, checking each accessor as it reads it. */
  private static final class MeshBuilder {
    private final ModelFormat format;
    private final List<float[]> positions = new ArrayList<>();
    private final IntList triangles = new IntList();
    private long vertexCount;
    private long triangleCount;

    MeshBuilder(ModelFormat format) {
      this.format = format;
    }

    void add(MeshPrimitiveModel p) {
      AccessorModel position = p.getAttributes().get("POSITION");
      if (position == null) throw invalid("a mesh primitive has no POSITION");
      if (position.getComponentType() != GltfConstants.GL_FLOAT || position.getElementType() != ElementType.VEC3) {
        throw invalid("POSITION must be float VEC3");
      }
      AccessorFloatData xyz = (AccessorFloatData) data(position);
      int n = xyz.getNumElements();
      int base = (int) Math.min(Integer.MAX_VALUE, vertexCount);
      float[] own = new float[n * 3];
      for (int i = 0; i < n; i++) {
        for (int c = 0; c < 3; c++) {
          float v = xyz.get(i, c);
          if (!Float.isFinite(v)) throw invalid("a vertex position is not a finite number");
          own[i * 3 + c] = v;
        }
      }
      positions.add(own);
      vertexCount += n;
      int mode = p.getMode();
      AccessorModel indices = p.getIndices();
      int count = indices == null ? n : indices.getCount();
      AccessorData index = indices == null ? null : data(indices);
      if (indices != null && indices.getElementType() != ElementType.SCALAR) throw invalid("indices must be SCALAR");
      int[] at = new int[3];
      for (int t = 0; ; t++) {
        int first;
        if (mode == GltfConstants.GL_TRIANGLES) first = t * 3;
        else if (mode == GltfConstants.GL_TRIANGLE_STRIP || mode == GltfConstants.GL_TRIANGLE_FAN) first = t;
        else return; // points and lines: valid, but nothing to draw
        if (first + 2 >= count) return;
        for (int k = 0; k < 3; k++) {
          int slot = mode == GltfConstants.GL_TRIANGLE_FAN && k == 0 ? 0 : first + k;
          long i = index == null ? slot : indexAt(index, slot);
          if (i < 0 || i >= n) throw invalid("an index (" + i + ") is outside its primitive's " + n + " vertices");
          at[k] = base + (int) i;
        }
        triangleCount++;
        if (triangles.size() < PREVIEW_TRIANGLES * 3) triangles.add(at[0], at[1], at[2]);
      }
    }

    Mesh build() {
      if (triangleCount == 0) throw invalid("the model has no triangles");
      float[] all = new float[(int) Math.min(Integer.MAX_VALUE - 8, vertexCount * 3)];
      int o = 0;
      for (float[] p : positions) {
        System.arraycopy(p, 0, all, o, Math.min(p.length, all.length - o));
        o += p.length;
      }
      return new Mesh(format, vertexCount, triangleCount, all, triangles.toArray());
    }
  }

  /** The accessor's data (jgltf has checked, as it built the model, that its elements lie inside their buffer view). */
  private static AccessorData data(AccessorModel a) {
    if (a.getBufferViewModel() == null) throw invalid("an accessor has no bufferView (sparse-only accessors are not accepted)");
    return a.getAccessorData();
  }

  private static long indexAt(AccessorData d, int slot) {
    if (d instanceof de.javagl.jgltf.model.AccessorByteData b) return b.getInt(slot);
    if (d instanceof de.javagl.jgltf.model.AccessorShortData s) return s.getInt(slot);
    if (d instanceof de.javagl.jgltf.model.AccessorIntData i) return i.getLong(slot);
    throw invalid("indices must be unsigned integers");
  }

  private static Mesh obj(byte[] bytes) throws IOException {
    // The reader skips lines it does not know, so a binary file would read as an empty model:
    // an OBJ is text, UTF-8 (ASCII at heart) without control characters.
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes));
    } catch (CharacterCodingException e) {
      throw invalid("the file is not OBJ text (it is not UTF-8)");
    }
    for (byte b : bytes) {
      if (b >= 0 && b < 0x20 && b != '\n' && b != '\r' && b != '\t' && b != '\f') {
        throw invalid("the file is not OBJ text (it holds control characters)");
      }
    }
    Obj obj = ObjReader.read(new ByteArrayInputStream(bytes));
    int n = obj.getNumVertices();
    float[] positions = new float[n * 3];
    for (int i = 0; i < n; i++) {
      var v = obj.getVertex(i);
      if (v.getDimensions() < 3) throw invalid("vertex " + (i + 1) + " has fewer than 3 coordinates");
      for (int c = 0; c < 3; c++) {
        if (!Float.isFinite(v.get(c))) throw invalid("vertex " + (i + 1) + " is not finite");
        positions[i * 3 + c] = v.get(c);
      }
    }
    IntList triangles = new IntList();
    long triangleCount = 0;
    for (int f = 0; f < obj.getNumFaces(); f++) {
      ObjFace face = obj.getFace(f);
      if (face.getNumVertices() < 3) throw invalid("face " + (f + 1) + " has fewer than 3 vertices");
      for (int k = 0; k < face.getNumVertices(); k++) {
        int i = face.getVertexIndex(k);
        if (i < 0 || i >= n) throw invalid("face " + (f + 1) + " names vertex " + (i + 1) + " of " + n);
      }
      // A polygon as a fan of triangles.
      for (int k = 1; k + 1 < face.getNumVertices(); k++) {
        triangleCount++;
        if (triangles.size() < PREVIEW_TRIANGLES * 3) {
          triangles.add(face.getVertexIndex(0), face.getVertexIndex(k), face.getVertexIndex(k + 1));
        }
      }
    }
    if (triangleCount == 0) throw invalid("the file has no faces: not an OBJ model");
    return new Mesh(ModelFormat.OBJ, n, triangleCount, positions, triangles.toArray());
  }

  private static int littleEndianInt(byte[] b, int at) {
    return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
  }

  static ApiException invalid(String detail) {
    return ApiException.invalid("invalid_model", detail);
  }

  /** A growable int array: triangle indices without boxing. */
  private static final class IntList {
    private int[] a = new int[1024];
    private int size;

    void add(int x, int y, int z) {
      if (size + 3 > a.length) a = java.util.Arrays.copyOf(a, a.length * 2);
      a[size++] = x;
      a[size++] = y;
      a[size++] = z;
    }

    int size() {
      return size;
    }

    int[] toArray() {
      return java.util.Arrays.copyOf(a, size);
    }
  }
}
