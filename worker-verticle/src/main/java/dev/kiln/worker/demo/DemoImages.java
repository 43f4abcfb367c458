package dev.kiln.worker.demo;

import com.twelvemonkeys.image.ResampleOp;
import dev.kiln.common.image.BoundedImageDecoder;
import dev.kiln.worker.executor.Attempt;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import javax.imageio.ImageIO;

/**
 * Pixel helpers shared by the demo image providers: read an input image, resample it, sample
 * it, encode a PNG. Blocking: call from {@code executeBlocking}.
 */
final class DemoImages {
  private DemoImages() {}

  /** The input cannot be used as given: the attempt fails for good with {@code bad_input}. */
  static final class BadInput extends RuntimeException {
    BadInput(String message) {
      super(message);
    }
  }

  /**
   * The image of an input field as {@code TYPE_INT_ARGB}, or null when the field is absent and
   * optional. A required field that is absent, or a file that is missing from the asset store,
   * not a PNG/JPEG or over the node's image limits (judged from its header, before any pixel is
   * decoded), is {@link BadInput}. It waits for one of the node's decode slots.
   */
  static BufferedImage read(Attempt ex, String field, boolean required) {
    byte[] bytes;
    try {
      bytes = ex.image(field);
    } catch (NoSuchFileException | IllegalArgumentException e) {
      // Gone from the store, or a key it refuses: as unusable as a file that is not an image.
      throw new BadInput(field + " is missing or not a PNG or JPEG image");
    } catch (IOException e) {
      // The store did not answer (over the cluster, no store node in time) or failed: that may pass.
      throw new UncheckedIOException(e);
    }
    if (bytes == null) {
      if (required) throw new BadInput(field + " is required");
      return null;
    }
    BufferedImage img;
    try {
      img = ex.decoder().decode(bytes, BoundedImageDecoder.Wait.QUEUE).image();
    } catch (BoundedImageDecoder.Rejected e) {
      throw new BadInput(field + ": " + e.getMessage());
    }
    return toArgb(img);
  }

  /** The image as {@code TYPE_INT_ARGB} (a copy unless it already is one), so pixels are plain ints. */
  static BufferedImage toArgb(BufferedImage img) {
    return convert(img, BufferedImage.TYPE_INT_ARGB);
  }

  private static BufferedImage convert(BufferedImage img, int type) {
    if (img.getType() == type) return img;
    BufferedImage out = new BufferedImage(img.getWidth(), img.getHeight(), type);
    Graphics2D g = out.createGraphics();
    try {
      g.drawImage(img, 0, 0, null);
    } finally {
      g.dispose();
    }
    return out;
  }

  /** The pixels as non-premultiplied ARGB ints, row-major, whatever the image's type. */
  static int[] pixels(BufferedImage img) {
    return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
  }

  static BufferedImage fromPixels(int[] argb, int width, int height) {
    BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
    out.setRGB(0, 0, width, height, argb, 0, width);
    return out;
  }

  /** True when no pixel is even partly transparent (scans the alpha band, no copy). */
  static boolean isOpaque(BufferedImage img) {
    if (!img.getColorModel().hasAlpha()) return true;
    java.awt.image.WritableRaster alpha = img.getAlphaRaster();
    if (alpha == null) return false;
    int w = img.getWidth();
    int max = (1 << img.getColorModel().getComponentSize(img.getColorModel().getNumComponents() - 1)) - 1;
    int[] row = new int[w];
    for (int y = 0; y < img.getHeight(); y++) {
      alpha.getSamples(0, y, w, 1, 0, row);
      for (int a : row) if (a != max) return false;
    }
    return true;
  }

  /**
   * Lanczos resampling to exactly {@code width x height}; premultiplied when there is alpha, so
   * transparent edges do not darken. The result's type varies: read it with {@link #pixels}.
   */
  static BufferedImage resize(BufferedImage img, int width, int height) {
    ResampleOp op = new ResampleOp(Math.max(1, width), Math.max(1, height), ResampleOp.FILTER_LANCZOS);
    return op.filter(convert(img, isOpaque(img) ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_INT_ARGB_PRE), null);
  }

  /** Scales to cover {@code width x height} keeping the aspect ratio, then crops the centre. */
  static BufferedImage cover(BufferedImage img, int width, int height) {
    double s = Math.max((double) width / img.getWidth(), (double) height / img.getHeight());
    int sw = Math.max(width, (int) Math.ceil(img.getWidth() * s));
    int sh = Math.max(height, (int) Math.ceil(img.getHeight() * s));
    return resize(img, sw, sh).getSubimage((sw - width) / 2, (sh - height) / 2, width, height);
  }

  /**
   * Bilinear sample at a continuous position (pixel centres at integer + 0.5), edges clamped;
   * interpolated premultiplied so transparent neighbours do not bleed their colour.
   */
  static int bilinear(int[] argb, int width, int height, double x, double y) {
    double fx = Math.max(0, Math.min(width - 1, x - 0.5));
    double fy = Math.max(0, Math.min(height - 1, y - 0.5));
    int x0 = (int) fx, y0 = (int) fy;
    int x1 = Math.min(width - 1, x0 + 1), y1 = Math.min(height - 1, y0 + 1);
    double tx = fx - x0, ty = fy - y0;
    int p00 = argb[y0 * width + x0], p10 = argb[y0 * width + x1], p01 = argb[y1 * width + x0], p11 = argb[y1 * width + x1];
    double w00 = (1 - tx) * (1 - ty) * (p00 >>> 24), w10 = tx * (1 - ty) * (p10 >>> 24);
    double w01 = (1 - tx) * ty * (p01 >>> 24), w11 = tx * ty * (p11 >>> 24);
    double a = w00 + w10 + w01 + w11; // alpha-weighted, 0..255
    if (a <= 1e-6) return 0;
    double r = (w00 * ((p00 >> 16) & 0xff) + w10 * ((p10 >> 16) & 0xff) + w01 * ((p01 >> 16) & 0xff) + w11 * ((p11 >> 16) & 0xff)) / a;
    double g = (w00 * ((p00 >> 8) & 0xff) + w10 * ((p10 >> 8) & 0xff) + w01 * ((p01 >> 8) & 0xff) + w11 * ((p11 >> 8) & 0xff)) / a;
    double b = (w00 * (p00 & 0xff) + w10 * (p10 & 0xff) + w01 * (p01 & 0xff) + w11 * (p11 & 0xff)) / a;
    return argb(a, r, g, b);
  }

  /** Packs channels given on 0..255, rounding and clamping each. */
  static int argb(double a, double r, double g, double b) {
    return clamp(a) << 24 | clamp(r) << 16 | clamp(g) << 8 | clamp(b);
  }

  static int clamp(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }

  /** Per-channel mix {@code a + (b - a) * t}, alpha included (for opaque pixels, or flattening onto a colour). */
  static int lerp(int a, int b, double t) {
    return argb(mix(a >>> 24, b >>> 24, t), mix((a >> 16) & 0xff, (b >> 16) & 0xff, t),
        mix((a >> 8) & 0xff, (b >> 8) & 0xff, t), mix(a & 0xff, b & 0xff, t));
  }

  private static double mix(int a, int b, double t) {
    return a + (b - a) * t;
  }

  /**
   * Mix of two ARGB pixels weighted by their alpha (premultiplied), so a transparent pixel lends
   * no colour: the right blend for replacing one layer by another.
   */
  static int blend(int a, int b, double t) {
    double wa = (a >>> 24) * (1 - t), wb = (b >>> 24) * t;
    double alpha = wa + wb;
    if (alpha <= 1e-6) return 0;
    return argb(alpha, (wa * ((a >> 16) & 0xff) + wb * ((b >> 16) & 0xff)) / alpha,
        (wa * ((a >> 8) & 0xff) + wb * ((b >> 8) & 0xff)) / alpha, (wa * (a & 0xff) + wb * (b & 0xff)) / alpha);
  }

  /** Porter-Duff "over": {@code top}, its alpha scaled by {@code opacity}, laid on {@code under}. */
  static int over(int top, double opacity, int under) {
    double at = (top >>> 24) / 255.0 * opacity, au = (under >>> 24) / 255.0 * (1 - at);
    double alpha = at + au;
    if (alpha <= 1e-6) return 0;
    return argb(alpha * 255, (at * ((top >> 16) & 0xff) + au * ((under >> 16) & 0xff)) / alpha,
        (at * ((top >> 8) & 0xff) + au * ((under >> 8) & 0xff)) / alpha, (at * (top & 0xff) + au * (under & 0xff)) / alpha);
  }

  /** Rec. 709 luma of the (sRGB) pixel, 0..1. */
  static double luminance(int argb) {
    return (0.2126 * ((argb >> 16) & 0xff) + 0.7152 * ((argb >> 8) & 0xff) + 0.0722 * (argb & 0xff)) / 255.0;
  }

  static double smoothstep(double edge0, double edge1, double x) {
    double t = Math.max(0, Math.min(1, (x - edge0) / (edge1 - edge0)));
    return t * t * (3 - 2 * t);
  }

  static String hex(int rgb) {
    return String.format("#%06x", rgb & 0xffffff);
  }

  /** PNG bytes; RGB when every pixel is opaque (smaller files), else RGBA. */
  static byte[] png(BufferedImage img) throws IOException {
    BufferedImage out = convert(img, isOpaque(img) ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_INT_ARGB);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    if (!ImageIO.write(out, "png", bytes)) throw new IllegalStateException("no PNG writer");
    return bytes.toByteArray();
  }
}
