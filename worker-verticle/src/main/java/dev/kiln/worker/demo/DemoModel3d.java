package dev.kiln.worker.demo;

import de.javagl.jgltf.model.AccessorModel;
import de.javagl.jgltf.model.GltfConstants;
import de.javagl.jgltf.model.impl.DefaultGltfModel;
import de.javagl.jgltf.model.impl.DefaultMeshModel;
import de.javagl.jgltf.model.impl.DefaultMeshPrimitiveModel;
import de.javagl.jgltf.model.impl.DefaultNodeModel;
import de.javagl.jgltf.model.impl.DefaultSceneModel;
import de.javagl.jgltf.model.io.GltfModelWriter;
import de.javagl.jgltf.model.structure.BufferStructure;
import de.javagl.jgltf.model.structure.BufferStructureBuilder;
import de.javagl.jgltf.model.v2.MaterialModelV2;
import dev.kiln.common.mesh.MeshPreview;
import dev.kiln.worker.executor.Attempt;
import dev.kiln.worker.executor.Executor;
import dev.kiln.worker.executor.Outcome;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * {@code model3d.generate}, demo provider: no image-to-3D model; a height field instead. The
 * source is resampled to a {@code config.resolution} square grid, luminance (times opacity)
 * becomes height ({@code config.height_scale} of the mesh's width) and the pixel colours become
 * vertex colours. Written as binary glTF 2.0 (jgltf), Wavefront OBJ, and a shaded preview PNG.
 * It says in its result that it is a stand-in.
 */
public final class DemoModel3d implements Executor {
  public static final int DEFAULT_RESOLUTION = 64;
  public static final double DEFAULT_HEIGHT_SCALE = 0.25;
  static final int PREVIEW_SIZE = 512;
  private static final MeshPreview.View PREVIEW_VIEW = new MeshPreview.View(PREVIEW_SIZE * 2, -30, 35, 0x2b2d31, 0.88,
      new MeshPreview.Light(-0.45, 0.8, 0.4, MeshPreview.Frame.MODEL, 0.3, 0.7), false);

  @Override
  public String toolAction() {
    return "model3d.generate";
  }

  @Override
  public Future<Outcome> run(Attempt ex) {
    JsonObject in = ex.input();
    record Inputs(BufferedImage src, int resolution, double heightScale) {}
    record Files(Mesh mesh, byte[] glb, byte[] obj, BufferedImage preview) {}
    return DemoSteps.step(ex, 10, "source read", () -> {
      int resolution = (int) Math.round(DemoSteps.config(in, "resolution", DEFAULT_RESOLUTION, 8, 256));
      double heightScale = DemoSteps.config(in, "height_scale", DEFAULT_HEIGHT_SCALE, 0, 1);
      return new Inputs(DemoImages.read(ex, "source_image", true), resolution, heightScale);
    }).compose(i -> DemoSteps.step(ex, 35, "height field built",
        () -> Mesh.heightField(i.src(), i.resolution(), i.heightScale()))
    ).compose(m -> DemoSteps.step(ex, 55, "glTF written", () -> new Files(m, m.glb(), null, null))
    ).compose(f -> DemoSteps.step(ex, 70, "OBJ written", () -> new Files(f.mesh(), f.glb(), f.mesh().obj(), null))
    ).compose(f -> DemoSteps.step(ex, 90, "preview rendered", () -> new Files(f.mesh(), f.glb(), f.obj(), f.mesh().preview()))
    ).compose(f -> DemoSteps.step(ex, 97, "assets stored", () -> {
      JsonArray assets = new JsonArray()
          .add(ex.output("model.glb", "model/gltf-binary", f.glb(), null, null))
          .add(ex.output("model.obj", "model/obj", f.obj(), null, null))
          .add(DemoSteps.writePng(ex, "preview.png", f.preview()).put("asset_type", "preview"));
      return assets;
    }).map(assets -> {
      ex.progress(100, "done");
      JsonObject checksums = new JsonObject();
      assets.forEach(a -> checksums.put(((JsonObject) a).getString("file_name"), ((JsonObject) a).getString("checksum")));
      Mesh m = f.mesh();
      JsonObject result = DemoSteps.standIn("height field from the source's luminance with its colours as vertex colours; "
              + "a stand-in for an image-to-3D model")
          .put("resolution", m.resolution).put("height_scale", m.heightScale)
          .put("vertices", m.vertexCount()).put("triangles", m.triangleCount())
          .put("checksums", checksums);
      return Outcome.success(result, assets);
    })).recover(e -> DemoSteps.recover(ex, e));
  }

  /** An r x r grid of vertices, row-major from the image's top-left; two triangles per cell. */
  static final class Mesh {
    final int resolution;
    final double heightScale;
    final float[] positions;
    final float[] normals;
    final float[] srgb; // 0..1, as in the image: for OBJ and the preview
    final int[] indices;

    private Mesh(int resolution, double heightScale, float[] positions, float[] normals, float[] srgb, int[] indices) {
      this.resolution = resolution;
      this.heightScale = heightScale;
      this.positions = positions;
      this.normals = normals;
      this.srgb = srgb;
      this.indices = indices;
    }

    int vertexCount() {
      return positions.length / 3;
    }

    int triangleCount() {
      return indices.length / 3;
    }

    static Mesh heightField(BufferedImage src, int r, double heightScale) {
      int[] px = DemoImages.pixels(DemoImages.resize(src, r, r));
      // The mesh keeps the image's aspect ratio; its longer side is 1 unit.
      double sx = src.getWidth() >= src.getHeight() ? 1 : (double) src.getWidth() / src.getHeight();
      double sz = src.getHeight() >= src.getWidth() ? 1 : (double) src.getHeight() / src.getWidth();
      float[] pos = new float[r * r * 3];
      float[] col = new float[r * r * 3];
      for (int j = 0; j < r; j++) {
        for (int i = 0; i < r; i++) {
          int v = j * r + i, p = px[v];
          pos[v * 3] = (float) ((i / (r - 1.0) - 0.5) * sx);
          pos[v * 3 + 1] = (float) (DemoImages.luminance(p) * ((p >>> 24) / 255.0) * heightScale);
          pos[v * 3 + 2] = (float) ((j / (r - 1.0) - 0.5) * sz);
          col[v * 3] = ((p >> 16) & 0xff) / 255f;
          col[v * 3 + 1] = ((p >> 8) & 0xff) / 255f;
          col[v * 3 + 2] = (p & 0xff) / 255f;
        }
      }
      float[] nor = new float[r * r * 3];
      for (int j = 0; j < r; j++) {
        for (int i = 0; i < r; i++) {
          // Central differences of the height, clamped at the edges.
          int l = j * r + Math.max(0, i - 1), rt = j * r + Math.min(r - 1, i + 1);
          int up = Math.max(0, j - 1) * r + i, dn = Math.min(r - 1, j + 1) * r + i;
          double dhdx = (pos[rt * 3 + 1] - pos[l * 3 + 1]) / (pos[rt * 3] - pos[l * 3]);
          double dhdz = (pos[dn * 3 + 1] - pos[up * 3 + 1]) / (pos[dn * 3 + 2] - pos[up * 3 + 2]);
          double len = Math.sqrt(dhdx * dhdx + 1 + dhdz * dhdz);
          int v = j * r + i;
          nor[v * 3] = (float) (-dhdx / len);
          nor[v * 3 + 1] = (float) (1 / len);
          nor[v * 3 + 2] = (float) (-dhdz / len);
        }
      }
      int[] idx = new int[(r - 1) * (r - 1) * 6];
      int k = 0;
      for (int j = 0; j < r - 1; j++) {
        for (int i = 0; i < r - 1; i++) {
          int a = j * r + i, b = a + 1, c = a + r, d = c + 1;
          // Counter-clockwise seen from above (+y), so the faces point up.
          idx[k++] = a;
          idx[k++] = c;
          idx[k++] = b;
          idx[k++] = b;
          idx[k++] = c;
          idx[k++] = d;
        }
      }
      return new Mesh(r, heightScale, pos, nor, col, idx);
    }

    /** Binary glTF 2.0: one node, one mesh, POSITION/NORMAL/COLOR_0 and 32-bit indices. */
    byte[] glb() throws IOException {
      float[] linear = new float[srgb.length];
      for (int i = 0; i < srgb.length; i++) linear[i] = toLinear(srgb[i]); // glTF vertex colours are linear
      BufferStructureBuilder b = new BufferStructureBuilder();
      AccessorModel position = b.createAccessorModel("position", positions, "VEC3");
      b.createArrayBufferViewModel("position");
      AccessorModel normal = b.createAccessorModel("normal", normals, "VEC3");
      b.createArrayBufferViewModel("normal");
      AccessorModel color = b.createAccessorModel("color", linear, "VEC3");
      b.createArrayBufferViewModel("color");
      AccessorModel index = b.createAccessorModel("index", indices, "SCALAR");
      b.createArrayElementBufferViewModel("index");
      b.createBufferModel("buffer", "model.bin");
      BufferStructure structure = b.build();

      DefaultGltfModel gltf = new DefaultGltfModel();
      gltf.getAssetModel().setGenerator("kiln demo model3d.generate");
      gltf.addAccessorModels(structure.getAccessorModels());
      gltf.addBufferViewModels(structure.getBufferViewModels());
      gltf.addBufferModels(structure.getBufferModels());

      MaterialModelV2 material = new MaterialModelV2();
      material.setName("vertex colours");
      material.setBaseColorFactor(new float[] {1, 1, 1, 1});
      material.setMetallicFactor(0);
      material.setRoughnessFactor(0.9f);
      material.setDoubleSided(true);
      gltf.addMaterialModel(material);

      DefaultMeshPrimitiveModel primitive = new DefaultMeshPrimitiveModel(GltfConstants.GL_TRIANGLES);
      primitive.putAttribute("POSITION", position);
      primitive.putAttribute("NORMAL", normal);
      primitive.putAttribute("COLOR_0", color);
      primitive.setIndices(index);
      primitive.setMaterialModel(material);
      DefaultMeshModel mesh = new DefaultMeshModel();
      mesh.setName("heightfield");
      mesh.addMeshPrimitiveModel(primitive);
      gltf.addMeshModel(mesh);

      DefaultNodeModel node = new DefaultNodeModel();
      node.setName("heightfield");
      node.addMeshModel(mesh);
      gltf.addNodeModel(node);
      DefaultSceneModel scene = new DefaultSceneModel();
      scene.addNode(node);
      gltf.addSceneModel(scene);

      ByteArrayOutputStream out = new ByteArrayOutputStream();
      new GltfModelWriter().writeBinary(gltf, out);
      return out.toByteArray();
    }

    /** Wavefront OBJ with per-vertex colours ({@code v x y z r g b}, read by Blender and MeshLab) and normals. */
    byte[] obj() {
      int n = vertexCount();
      StringBuilder s = new StringBuilder(n * 80 + triangleCount() * 40);
      s.append("# kiln demo model3d.generate: height field, ").append(n).append(" vertices, ")
          .append(triangleCount()).append(" triangles\n").append("o heightfield\n");
      for (int v = 0; v < n; v++) {
        s.append(String.format(Locale.ROOT, "v %.6f %.6f %.6f %.4f %.4f %.4f%n", positions[v * 3], positions[v * 3 + 1],
            positions[v * 3 + 2], srgb[v * 3], srgb[v * 3 + 1], srgb[v * 3 + 2]));
      }
      for (int v = 0; v < n; v++) {
        s.append(String.format(Locale.ROOT, "vn %.5f %.5f %.5f%n", normals[v * 3], normals[v * 3 + 1], normals[v * 3 + 2]));
      }
      for (int t = 0; t < indices.length; t += 3) {
        int a = indices[t] + 1, b = indices[t + 1] + 1, c = indices[t + 2] + 1; // OBJ counts from 1
        s.append("f ").append(a).append("//").append(a).append(' ').append(b).append("//").append(b)
            .append(' ').append(c).append("//").append(c).append('\n');
      }
      return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A three-quarter view, coloured by the vertex colours and lit from the model's upper left;
     * drawn at twice the size without antialiasing, then Lanczos-reduced, which smooths the
     * edges without seams between neighbouring triangles.
     */
    BufferedImage preview() {
      return DemoImages.resize(MeshPreview.render(new MeshPreview.Input(positions, indices, srgb), PREVIEW_VIEW),
          PREVIEW_SIZE, PREVIEW_SIZE);
    }

    private static float toLinear(float c) {
      return (float) (c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4));
    }
  }
}
