package dev.kiln.common.mesh;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.Comparator;

/**
 * The one software renderer for a mesh's preview image: the model turned by a yaw and a pitch,
 * seen orthographically and fitted to a square frame, its triangles drawn far to near (painter's
 * algorithm), each flat-shaded by one directional light. A thumbnail to tell models apart, not a
 * render of their materials. Deterministic: the same input gives the same pixels. Blocking (it
 * draws on the calling thread): call from {@code executeBlocking} or a worker.
 */
public final class MeshPreview {
  /** Without colours a face is a cool grey: its brightness, with blue lifted by this many levels. */
  static final int UNCOLOURED_BLUE_LIFT = 8;
  /** Below this, the frame is taken to hold a point: there is nothing to fit. */
  private static final double MIN_EXTENT = 1e-12;

  private MeshPreview() {}

  /** Where the light is fixed: to the model (it turns with yaw and pitch) or to the camera. */
  public enum Frame { MODEL, CAMERA }

  /**
   * A directional light toward {@code (x, y, z)} in {@code frame} (need not be unit length; in the
   * camera's frame +y is up and +z toward the viewer). A face's brightness is
   * {@code ambient + diffuse * |cos|} of its angle to the light: two-sided, because a model's
   * winding is not always consistent.
   */
  public record Light(double x, double y, double z, Frame frame, double ambient, double diffuse) {
    public Light {
      if (!(Math.abs(x) + Math.abs(y) + Math.abs(z) > 0)) throw new IllegalArgumentException("the light needs a direction");
    }
  }

  /**
   * How the model is seen. {@code size}: the square image's side in pixels; {@code yawDegrees}
   * about the vertical axis, then {@code pitchDegrees} tilting the top toward the viewer;
   * {@code background} as 0xRRGGBB; {@code fill}: the share of the side the model's larger extent
   * spans; {@code antialias}: smooth the triangles' edges (off for a caller that draws large and
   * reduces, which smooths them better and leaves no seams between neighbours).
   */
  public record View(int size, double yawDegrees, double pitchDegrees, int background, double fill, Light light,
                     boolean antialias) {
    public View {
      if (size < 1) throw new IllegalArgumentException("size must be at least 1 pixel, was " + size);
      if (!(fill > 0 && fill <= 1)) throw new IllegalArgumentException("fill must be in (0, 1], was " + fill);
      if (light == null) throw new IllegalArgumentException("a view needs a light");
    }
  }

  /**
   * What to draw: {@code positions} as x, y, z per vertex; {@code triangles} as three vertex
   * indices each; {@code colours} as sRGB r, g, b on 0..1 per vertex, or null for a cool grey.
   * Copied, so a render sees exactly what was given.
   */
  public static final class Input {
    private final float[] positions;
    private final int[] triangles;
    private final float[] colours;

    public Input(float[] positions, int[] triangles, float[] colours) {
      if (positions.length % 3 != 0) throw new IllegalArgumentException("positions must be x, y, z triples");
      if (triangles.length % 3 != 0) throw new IllegalArgumentException("triangles must be index triples");
      if (colours != null && colours.length != positions.length) {
        throw new IllegalArgumentException("colours must be one r, g, b per vertex");
      }
      int n = positions.length / 3;
      for (int i : triangles) {
        if (i < 0 || i >= n) throw new IllegalArgumentException("triangle index " + i + " outside the " + n + " vertices");
      }
      this.positions = positions.clone();
      this.triangles = triangles.clone();
      this.colours = colours == null ? null : colours.clone();
    }
  }

  /** The preview as a {@code view.size()} square, opaque RGB image. */
  public static BufferedImage render(Input in, View view) {
    float[] p = in.positions;
    int[] tri = in.triangles;
    int n = p.length / 3, size = view.size();
    double yaw = Math.toRadians(view.yawDegrees()), pitch = Math.toRadians(view.pitchDegrees());
    double cy = Math.cos(yaw), sy = Math.sin(yaw), cp = Math.cos(pitch), sp = Math.sin(pitch);
    // Camera frame: yaw about y, then pitch about x; the camera looks down -z.
    double[] vx = new double[n], vy = new double[n], vz = new double[n];
    for (int i = 0; i < n; i++) {
      double x = p[i * 3], y = p[i * 3 + 1], z = p[i * 3 + 2];
      double x1 = x * cy + z * sy, z1 = -x * sy + z * cy;
      vx[i] = x1;
      vy[i] = y * cp - z1 * sp;
      vz[i] = y * sp + z1 * cp;
    }
    // Fitted to what the triangles use: a stray vertex does not shrink the model.
    double minX = Double.MAX_VALUE, maxX = -Double.MAX_VALUE, minY = Double.MAX_VALUE, maxY = -Double.MAX_VALUE;
    for (int i : tri) {
      minX = Math.min(minX, vx[i]);
      maxX = Math.max(maxX, vx[i]);
      minY = Math.min(minY, vy[i]);
      maxY = Math.max(maxY, vy[i]);
    }
    double scale = size * view.fill() / Math.max(MIN_EXTENT, Math.max(maxX - minX, maxY - minY));
    double ox = size / 2.0 - (minX + maxX) / 2 * scale, oy = size / 2.0 + (minY + maxY) / 2 * scale;

    int count = tri.length / 3;
    Integer[] order = new Integer[count];
    double[] depth = new double[count];
    for (int t = 0; t < count; t++) {
      order[t] = t;
      depth[t] = vz[tri[t * 3]] + vz[tri[t * 3 + 1]] + vz[tri[t * 3 + 2]];
    }
    Arrays.sort(order, Comparator.comparingDouble(t -> depth[t])); // stable; nearest (largest z) last

    Light light = view.light();
    boolean modelFrame = light.frame() == Frame.MODEL;
    double lx = light.x(), ly = light.y(), lz = light.z(), ll = Math.sqrt(lx * lx + ly * ly + lz * lz);
    BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      if (view.antialias()) g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setColor(new Color(view.background()));
      g.fillRect(0, 0, size, size);
      int[] xs = new int[3], ys = new int[3];
      for (int t : order) {
        int a = tri[t * 3], b = tri[t * 3 + 1], c = tri[t * 3 + 2];
        // The face normal in the frame the light is fixed in; the model's edges are taken as the
        // floats they are stored as.
        double ux, uy, uz, wx, wy, wz;
        if (modelFrame) {
          ux = p[b * 3] - p[a * 3];
          uy = p[b * 3 + 1] - p[a * 3 + 1];
          uz = p[b * 3 + 2] - p[a * 3 + 2];
          wx = p[c * 3] - p[a * 3];
          wy = p[c * 3 + 1] - p[a * 3 + 1];
          wz = p[c * 3 + 2] - p[a * 3 + 2];
        } else {
          ux = vx[b] - vx[a];
          uy = vy[b] - vy[a];
          uz = vz[b] - vz[a];
          wx = vx[c] - vx[a];
          wy = vy[c] - vy[a];
          wz = vz[c] - vz[a];
        }
        double nx = uy * wz - uz * wy, ny = uz * wx - ux * wz, nz = ux * wy - uy * wx;
        double nl = Math.sqrt(nx * nx + ny * ny + nz * nz);
        // A face with no area has no direction: it gets the ambient light alone.
        double lambert = nl == 0 ? 0 : Math.abs(nx * lx + ny * ly + nz * lz) / (nl * ll);
        double shade = light.ambient() + light.diffuse() * lambert;
        for (int k = 0; k < 3; k++) {
          int v = tri[t * 3 + k];
          xs[k] = (int) Math.round(ox + vx[v] * scale);
          ys[k] = (int) Math.round(oy - vy[v] * scale);
        }
        g.setColor(new Color(in.colours == null ? grey(shade) : coloured(in.colours, a, b, c, shade)));
        g.fill(new Polygon(xs, ys, 3));
      }
    } finally {
      g.dispose();
    }
    return img;
  }

  /** The face's colour: the mean of its vertices' colours, times its brightness. */
  private static int coloured(float[] srgb, int a, int b, int c, double shade) {
    int rgb = 0;
    for (int ch = 0; ch < 3; ch++) {
      double mean = (srgb[a * 3 + ch] + srgb[b * 3 + ch] + srgb[c * 3 + ch]) / 3; // summed as floats: previews drawn before keep their pixels
      rgb = rgb << 8 | channel(mean * shade * 255);
    }
    return rgb;
  }

  private static int grey(double shade) {
    int grey = channel(255 * shade);
    return grey << 16 | grey << 8 | Math.min(255, grey + UNCOLOURED_BLUE_LIFT);
  }

  private static int channel(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }
}
