package dev.kiln.http.models;

import dev.kiln.common.mesh.MeshPreview;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * The preview of an uploaded model that came without one: its triangles seen from a fixed
 * three-quarter angle, flat-shaded in one grey by a light fixed to the camera ({@link MeshPreview}
 * draws it). Blocking: call from {@code executeBlocking}.
 */
public final class ModelPreview {
  public static final int SIZE = 512;
  private static final MeshPreview.View VIEW = new MeshPreview.View(SIZE, -35, 25, 0x2b2d31, 0.85,
      new MeshPreview.Light(-0.4, 0.7, 0.6, MeshPreview.Frame.CAMERA, 0.25, 0.65), true);

  private ModelPreview() {}

  /** PNG bytes of the preview. */
  public static byte[] png(ModelFiles.Mesh mesh) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(render(mesh), "png", out);
    return out.toByteArray();
  }

  static BufferedImage render(ModelFiles.Mesh mesh) {
    return MeshPreview.render(new MeshPreview.Input(mesh.positions(), mesh.triangles(), null), VIEW);
  }
}
