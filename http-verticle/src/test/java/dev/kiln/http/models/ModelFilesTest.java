package dev.kiln.http.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.http.api.ApiException;
import dev.kiln.testing.Meshes;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The three formats are read by their libraries; what is not what it claims is a 422 invalid_model saying why. */
class ModelFilesTest {
  @Test
  void eachFormatReadsAsTheTetrahedronItHolds() {
    for (var c : new Object[][] {{Meshes.glb(), ModelFormat.GLB}, {Meshes.gltf(), ModelFormat.GLTF}, {Meshes.obj(), ModelFormat.OBJ}}) {
      ModelFiles.Mesh m = ModelFiles.check((byte[]) c[0], (ModelFormat) c[1]);
      assertEquals(4, m.vertexCount(), c[1] + " vertices");
      assertEquals(4, m.triangleCount(), c[1] + " triangles");
      assertEquals(Arrays.toString(Meshes.INDICES), Arrays.toString(m.triangles()), c[1] + " triangles");
    }
  }

  @Test
  void whatIsNotWhatItClaimsIsRefusedWithItsReason() {
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13};
    refused(Meshes.glb(), ModelFormat.OBJ, "binary glTF");
    refused(Meshes.glb(), ModelFormat.GLTF, "binary glTF");
    refused(Meshes.gltf(), ModelFormat.GLB, "not binary glTF");
    refused(Meshes.obj(), ModelFormat.GLB, "not binary glTF");
    refused(png, ModelFormat.OBJ, "not OBJ text");
    refused("v 0 0 0\u0001\n".getBytes(StandardCharsets.UTF_8), ModelFormat.OBJ, "control characters");
    refused(png, ModelFormat.GLTF, "not a readable gltf");
    refused(new byte[0], ModelFormat.GLB, "empty");
    refused("{\"hello\": 1}".getBytes(StandardCharsets.UTF_8), ModelFormat.OBJ, "no faces");
    refused("{\"hello\": 1}".getBytes(StandardCharsets.UTF_8), ModelFormat.GLTF, "");
    refused("v 0 0 0\nv 1 0 0\nf 1 2 3\n".getBytes(StandardCharsets.UTF_8), ModelFormat.OBJ, "names vertex 3 of 2");
    refused("v 0 0 0\nv 1 0 0\nv 0 1 NaN\nf 1 2 3\n".getBytes(StandardCharsets.UTF_8), ModelFormat.OBJ, "not finite");
    refused(Meshes.gltfWithExternalBuffer(), ModelFormat.GLTF, "outside file");
    byte[] glb = Meshes.glb();
    refused(Arrays.copyOf(glb, glb.length - 40), ModelFormat.GLB, "");
    // An index past the 4 vertices; an accessor longer than its view; glTF 1.0; no triangles at all.
    refused(Meshes.glb(j -> j.getJsonArray("accessors").getJsonObject(0).put("count", 3)), ModelFormat.GLB, "outside");
    refused(Meshes.glb(j -> j.getJsonArray("accessors").getJsonObject(1).put("count", 100)), ModelFormat.GLB, "the buffer view has only 24 bytes");
    refused(Meshes.glb(j -> j.getJsonObject("asset").put("version", "1.0")), ModelFormat.GLB, "");
    refused(Meshes.glb(j -> j.getJsonArray("meshes").getJsonObject(0).getJsonArray("primitives").getJsonObject(0)
        .put("mode", 0)), ModelFormat.GLB, "no triangles");
    refused(Meshes.glb(j -> j.put("meshes", new io.vertx.core.json.JsonArray()).put("nodes",
        new io.vertx.core.json.JsonArray().add(new JsonObject()))), ModelFormat.GLB, "no triangles");
  }

  @Test
  void thePreviewDrawsTheModelOnTheBackground() {
    BufferedImage img = ModelPreview.render(ModelFiles.check(Meshes.glb(), ModelFormat.GLB));
    assertEquals(ModelPreview.SIZE, img.getWidth());
    int background = img.getRGB(0, 0), centre = img.getRGB(ModelPreview.SIZE / 2, ModelPreview.SIZE / 2);
    assertTrue(background != centre, "the model covers the centre of the frame");
  }

  private static void refused(byte[] bytes, ModelFormat claimed, String why) {
    ApiException e = assertThrows(ApiException.class, () -> ModelFiles.check(bytes, claimed), claimed + ": " + why);
    assertEquals(422, e.status());
    assertEquals("invalid_model", e.code(), e.getMessage());
    assertTrue(e.getMessage().contains(why), "'" + e.getMessage() + "' says " + why);
  }
}
