package dev.kiln.common.image;

import dev.kiln.common.config.ImageLimits;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Semaphore;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * The one way Kiln decodes an image it did not draw (an upload, a task's input image, a
 * provider's output): PNG or JPEG only, its canvas read from the header and judged against
 * {@link ImageLimits} before a single pixel is decoded, and at most
 * {@link ImageLimits#maxConcurrentDecodes()} decodes at once on a node, so that no burst of small
 * files that claim huge canvases can take the heap. Blocking: call from {@code executeBlocking}.
 */
public final class BoundedImageDecoder {
  /** What a decode does when every slot is taken. */
  public enum Wait {
    /** Fail at once with {@link Busy}: a request is better answered 503 than held with its body in memory. */
    REFUSE,
    /** Wait for a slot: a worker's attempts are already bounded by its slots, and must not fail for being many. */
    QUEUE
  }

  /** Why an image is refused: it is not one (or not PNG/JPEG), or its canvas is over the limits. */
  public enum Reason { NOT_AN_IMAGE, TOO_LARGE }

  /** The image cannot be used; the message says why in words a client can act on. */
  public static final class Rejected extends RuntimeException {
    private final Reason reason;

    Rejected(Reason reason, String message) {
      super(message, null, false, false);
      this.reason = reason;
    }

    public Reason reason() {
      return reason;
    }
  }

  /** Every decode slot of this node is taken (only with {@link Wait#REFUSE}). */
  public static final class Busy extends RuntimeException {
    Busy(int slots) {
      super("all " + slots + " image decoders of this node are busy", null, false, false);
    }
  }

  /** An image's format ({@code png} or {@code jpeg}) and canvas, read from its header. */
  public record Header(String format, int width, int height) {}

  /** A decoded image with its header. */
  public record Decoded(Header header, BufferedImage image) {}

  private static final Set<String> FORMATS = Set.of("png", "jpeg");

  private record Shared(BoundedImageDecoder decoder) implements Shareable {}

  private final ImageLimits limits;
  private final Semaphore slots;

  public BoundedImageDecoder(ImageLimits limits) {
    this.limits = limits;
    // Fair: a worker's queued decodes run in the order they asked.
    this.slots = new Semaphore(limits.maxConcurrentDecodes(), true);
  }

  /** The node's decoder: one per Vert.x instance, so its verticles (HTTP instances, the worker) share the bound. */
  public static BoundedImageDecoder shared(Vertx vertx, ImageLimits limits) {
    return vertx.sharedData().<String, Shared>getLocalMap("kiln.images")
        .computeIfAbsent("decoder", k -> new Shared(new BoundedImageDecoder(limits))).decoder();
  }

  public ImageLimits limits() {
    return limits;
  }

  /** The header, checked against the limits; no pixel is decoded and no slot taken. */
  public Header header(byte[] bytes) {
    return read(bytes, null).header();
  }

  /** The whole image, once its header passed the limits and a slot is free (see {@link Wait}). */
  public Decoded decode(byte[] bytes, Wait wait) {
    return read(bytes, wait);
  }

  /** Refuses a canvas over the limits: for an image about to be made, or one whose header says so. */
  public void checkCanvas(int width, int height) {
    if (width > limits.maxSide() || height > limits.maxSide()) {
      throw new Rejected(Reason.TOO_LARGE, "images may be at most " + limits.maxSide() + " pixels on a side, this is "
          + width + "x" + height);
    }
    if ((long) width * height > limits.maxPixels()) {
      throw new Rejected(Reason.TOO_LARGE, "images may have at most " + limits.maxPixels() + " pixels, this is "
          + width + "x" + height + " = " + (long) width * height);
    }
  }

  /** Decode slots free now. */
  public int freeSlots() {
    return slots.availablePermits();
  }

  /** Decodes waiting for a slot now (an estimate while threads come and go). */
  int waiting() {
    return slots.getQueueLength();
  }

  /** A held slot; closing it frees it. */
  final class Slot implements AutoCloseable {
    private boolean open = true;

    @Override
    public void close() {
      if (open) {
        open = false;
        slots.release();
      }
    }
  }

  Slot take(Wait wait) {
    if (wait == Wait.REFUSE) {
      if (!slots.tryAcquire()) throw new Busy(limits.maxConcurrentDecodes());
    } else {
      slots.acquireUninterruptibly();
    }
    return new Slot();
  }

  /** The header, then (unless {@code wait} is null) the pixels under a slot. */
  private Decoded read(byte[] bytes, Wait wait) {
    // In memory: ImageIO's default caches a stream in a temporary file, per decode.
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) throw new Rejected(Reason.NOT_AN_IMAGE, "not a PNG or JPEG image");
      ImageReader reader = readers.next();
      try {
        String format = reader.getFormatName().toLowerCase(Locale.ROOT);
        if (!FORMATS.contains(format)) throw new Rejected(Reason.NOT_AN_IMAGE, "a " + format + " image, not a PNG or JPEG");
        // Metadata ignored: a PNG's compressed text and profile chunks are never inflated.
        reader.setInput(in, true, true);
        Header header = new Header(format, reader.getWidth(0), reader.getHeight(0));
        checkCanvas(header.width(), header.height());
        if (wait == null) return new Decoded(header, null);
        try (Slot slot = take(wait)) {
          return new Decoded(header, reader.read(0));
        }
      } finally {
        reader.dispose();
      }
    } catch (Rejected | Busy e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // ImageIO reports broken files as IIOException or, from some decoders, as runtime errors.
      throw new Rejected(Reason.NOT_AN_IMAGE, "the image could not be decoded" + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    }
  }
}
