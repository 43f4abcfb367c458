package dev.kiln.common.config;

import java.util.Map;

/**
 * How large an image Kiln decodes, and how many at once per node: uploads on HTTP nodes and
 * input images on workers. A small file can claim a huge canvas (a PNG of 8192x8192 zeros is a
 * few KB and decodes to 256 MB), so the canvas is judged from the header before any pixel is.
 */
public record ImageLimits(
    int maxSide,                // pixels on either side; fixed: a strip of 40000x1000 is no image Kiln works on
    long maxPixels,             // width x height
    int maxConcurrentDecodes) { // decodes at once per node (HTTP and worker share them)

  public static final int MAX_SIDE = 8192;
  /**
   * 40 MP: a 4x upscale of a 1536x1536 generation (37.7 MP), an 8K frame (33.2 MP), most camera
   * photos; an 8192x8192 canvas (67 MP) is refused. One decode of it holds 160 MB as 8-bit RGBA,
   * 320 MB as 16-bit.
   */
  public static final long DEFAULT_MAX_PIXELS = 40_000_000;
  /**
   * Decoding is CPU-bound, so more than the cores gains nothing; past 4 the memory (4 x 160-320
   * MB at the pixel limit) matters more than the speed.
   */
  public static final int DEFAULT_MAX_CONCURRENT_DECODES = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));

  public static final ImageLimits DEFAULT = new ImageLimits(MAX_SIDE, DEFAULT_MAX_PIXELS, DEFAULT_MAX_CONCURRENT_DECODES);

  public ImageLimits {
    if (maxSide < 1 || maxPixels < 1 || maxConcurrentDecodes < 1) throw new IllegalArgumentException("bad image limits");
  }

  static ImageLimits from(Map<String, String> env) {
    // 64x64 (the smallest generation) up to the whole 8192x8192 the side bound allows.
    int pixels = KilnConfig.intIn(env, "KILN_IMAGE_MAX_PIXELS", (int) DEFAULT_MAX_PIXELS, 64 * 64, MAX_SIDE * MAX_SIDE);
    int decodes = KilnConfig.intIn(env, "KILN_IMAGE_MAX_CONCURRENT_DECODES", DEFAULT_MAX_CONCURRENT_DECODES, 1, 1024);
    return new ImageLimits(MAX_SIDE, pixels, decodes);
  }
}
