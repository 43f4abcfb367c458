package dev.kiln.http.models;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Comparator;
import javax.imageio.ImageIO;

/**
 * The preview of an uploaded model that came without one: its triangles seen from a fixed
 * three-quarter angle (orthographic, fitted to the frame), flat-shaded in one neutral grey by a
 * fixed light, far to near. A thumbnail to tell models apart, not a render of their materials.
 * Blocking: call from {@code executeBlocking}.
 */
public final class ModelPreview {
  public static final int SIZE = 512;
  private static final double YAW = Math.toRadians(-35);
  private static final double PITCH = Math.toRadians(25);
  private static final Color BACKGROUND = new Color(0x2b2d31);

  private ModelPreview() {}

  /** PNG bytes of the preview. */
  public static byte[] png(ModelFiles.Mesh mesh) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(render(mesh), "png", out);
    return out.toByteArray();
  }

  static BufferedImage render(ModelFiles.Mesh mesh) {
    float[] p = mesh.positions();
    int[] tri = mesh.triangles();
    int n = p.length / 3;
    double cy = Math.cos(YAW), sy = Math.sin(YAW), cp = Math.cos(PITCH), sp = Math.sin(PITCH);
    // View space: yaw about y, then pitch about x; the camera looks down -z.
    double[] vx = new double[n], vy = new double[n], vz = new double[n];
    double minX = Double.MAX_VALUE, maxX = -Double.MAX_VALUE, minY = Double.MAX_VALUE, maxY = -Double.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      double x = p[i * 3], y = p[i * 3 + 1], z = p[i * 3 + 2];
      double x1 = x * cy + z * sy, z1 = -x * sy + z * cy;
      vx[i] = x1;
      vy[i] = y * cp - z1 * sp;
      vz[i] = y * sp + z1 * cp;
    }
    for (int t = 0; t < tri.length; t++) {
      int i = tri[t];
      minX = Math.min(minX, vx[i]);
      maxX = Math.max(maxX, vx[i]);
      minY = Math.min(minY, vy[i]);
      maxY = Math.max(maxY, vy[i]);
    }
    double scale = SIZE * 0.85 / Math.max(1e-12, Math.max(maxX - minX, maxY - minY));
    double ox = SIZE / 2.0 - (minX + maxX) / 2 * scale, oy = SIZE / 2.0 + (minY + maxY) / 2 * scale;

    int count = tri.length / 3;
    Integer[] order = new Integer[count];
    double[] depth = new double[count];
    for (int t = 0; t < count; t++) {
      order[t] = t;
      depth[t] = vz[tri[t * 3]] + vz[tri[t * 3 + 1]] + vz[tri[t * 3 + 2]];
    }
    Arrays.sort(order, Comparator.comparingDouble(t -> depth[t])); // nearest (largest z) last

    double lx = -0.4, ly = 0.7, lz = 0.6, ll = Math.sqrt(lx * lx + ly * ly + lz * lz);
    BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setColor(BACKGROUND);
      g.fillRect(0, 0, SIZE, SIZE);
      int[] xs = new int[3], ys = new int[3];
      for (int t : order) {
        int a = tri[t * 3], b = tri[t * 3 + 1], c = tri[t * 3 + 2];
        double ux = vx[b] - vx[a], uy = vy[b] - vy[a], uz = vz[b] - vz[a];
        double wx = vx[c] - vx[a], wy = vy[c] - vy[a], wz = vz[c] - vz[a];
        double nx = uy * wz - uz * wy, ny = uz * wx - ux * wz, nz = ux * wy - uy * wx;
        double nl = Math.sqrt(nx * nx + ny * ny + nz * nz);
        // Two-sided: a model's winding is not always consistent.
        double lambert = nl == 0 ? 0 : Math.abs(nx * lx + ny * ly + nz * lz) / (nl * ll);
        int grey = (int) Math.round(255 * (0.25 + 0.65 * lambert));
        for (int k = 0; k < 3; k++) {
          int v = tri[t * 3 + k];
          xs[k] = (int) Math.round(ox + vx[v] * scale);
          ys[k] = (int) Math.round(oy - vy[v] * scale);
        }
        g.setColor(new Color(grey, grey, Math.min(255, grey + 8)));
        g.fill(new Polygon(xs, ys, 3));
      }
    } finally {
      g.dispose();
    }
    return img;
  }
}
