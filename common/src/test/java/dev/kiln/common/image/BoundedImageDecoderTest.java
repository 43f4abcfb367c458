package dev.kiln.common.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.common.config.ImageLimits;
import dev.kiln.common.image.BoundedImageDecoder.Busy;
import dev.kiln.common.image.BoundedImageDecoder.Decoded;
import dev.kiln.common.image.BoundedImageDecoder.Reason;
import dev.kiln.common.image.BoundedImageDecoder.Rejected;
import dev.kiln.common.image.BoundedImageDecoder.Slot;
import dev.kiln.common.image.BoundedImageDecoder.Wait;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The bounds of decoding an untrusted image: the canvas judged from the header, and the slots. Pure, in milliseconds. */
class BoundedImageDecoderTest {
  /** 200 px a side, 10,000 pixels, one decode at a time. */
  private final BoundedImageDecoder decoder = new BoundedImageDecoder(new ImageLimits(200, 10_000, 1));

  private static byte[] encode(int w, int h, String format) {
    return encode(new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB), format);
  }

  private static byte[] encode(BufferedImage img, String format) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      assertTrue(ImageIO.write(img, format, out));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The PNG's header rewritten to claim another canvas (CRC fixed), its pixel data cut off. */
  private static byte[] headerClaiming(byte[] png, int w, int h) {
    byte[] out = Arrays.copyOf(png, 33); // signature, IHDR chunk: nothing to decode
    ByteBuffer.wrap(out).putInt(16, w).putInt(20, h);
    CRC32 crc = new CRC32();
    crc.update(out, 12, 17);
    ByteBuffer.wrap(out).putInt(29, (int) crc.getValue());
    return out;
  }

  private static Reason reason(Runnable r) {
    return assertThrows(Rejected.class, r::run).reason();
  }

  @Test
  void aCanvasWithinTheLimitsDecodes() throws Exception {
    Decoded png = decoder.decode(encode(100, 100, "png"), Wait.REFUSE);
    assertEquals(new BoundedImageDecoder.Header("png", 100, 100), png.header());
    assertEquals(100, png.image().getWidth());
    Decoded jpeg = decoder.decode(encode(200, 50, "jpeg"), Wait.REFUSE);
    assertEquals("jpeg", jpeg.header().format());
    assertEquals(50, jpeg.image().getHeight());
    assertEquals(1, decoder.freeSlots(), "each decode gave its slot back");
  }

  @Test
  void aCanvasOverEitherBoundIsRefusedFromItsHeader() throws Exception {
    byte[] png = encode(10, 10, "png");
    assertEquals(Reason.TOO_LARGE, reason(() -> decoder.decode(encode(101, 100, "png"), Wait.REFUSE)), "10,100 pixels");
    assertEquals(Reason.TOO_LARGE, reason(() -> decoder.decode(encode(201, 10, "png"), Wait.REFUSE)), "201 px a side");
    assertEquals(Reason.TOO_LARGE, reason(() -> decoder.decode(encode(10, 201, "jpeg"), Wait.REFUSE)));
    // No pixels follow these headers: only the header can have been read.
    assertEquals(Reason.TOO_LARGE, reason(() -> decoder.header(headerClaiming(png, 8192, 8192))));
    assertEquals(Reason.TOO_LARGE, reason(() -> decoder.decode(headerClaiming(png, 8192, 8192), Wait.REFUSE)));
    assertEquals(Reason.NOT_AN_IMAGE, reason(() -> decoder.decode(headerClaiming(png, 50, 50), Wait.REFUSE)),
        "within the limits, the missing pixels are found");
    assertEquals(new BoundedImageDecoder.Header("png", 50, 50), decoder.header(headerClaiming(png, 50, 50)));
  }

  @Test
  void whatIsNotAPngOrJpegIsNotAnImage() throws Exception {
    assertEquals(Reason.NOT_AN_IMAGE, reason(() -> decoder.decode("hello".getBytes(), Wait.REFUSE)));
    assertEquals(Reason.NOT_AN_IMAGE, reason(() -> decoder.decode(new byte[0], Wait.REFUSE)));
    assertEquals(Reason.NOT_AN_IMAGE, reason(() -> decoder.decode(encode(new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_INDEXED), "gif"), Wait.REFUSE)));
    byte[] png = encode(10, 10, "png");
    assertEquals(Reason.NOT_AN_IMAGE, reason(() -> decoder.decode(headerClaiming(png, 0, 0), Wait.REFUSE)));
    assertEquals(Reason.NOT_AN_IMAGE, reason(() -> decoder.decode(Arrays.copyOf(png, png.length / 2), Wait.REFUSE)));
  }

  @Test
  void whenEverySlotIsTakenARefusingDecodeIsBusyAndAQueuedOneWaitsItsTurn() throws Exception {
    byte[] png = encode(20, 20, "png");
    CompletableFuture<Decoded> queued;
    try (Slot held = decoder.take(Wait.REFUSE)) {
      assertEquals(0, decoder.freeSlots());
      assertThrows(Busy.class, () -> decoder.decode(png, Wait.REFUSE));
      assertEquals(Reason.TOO_LARGE, reason(() -> decoder.decode(encode(300, 300, "png"), Wait.REFUSE)),
          "an oversized image is refused for its size, busy or not: it never asks for a slot");
      assertEquals(new BoundedImageDecoder.Header("png", 20, 20), decoder.header(png), "a header needs no slot");

      queued = CompletableFuture.supplyAsync(() -> decoder.decode(png, Wait.QUEUE));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (decoder.waiting() == 0 && !queued.isDone() && System.nanoTime() < deadline) LockSupport.parkNanos(1_000_000);
      assertEquals(1, decoder.waiting(), "the queued decode waits for the held slot");
      assertFalse(queued.isDone());
    }
    assertEquals(20, queued.get(10, TimeUnit.SECONDS).image().getWidth(), "it ran once the slot was given back");
    assertEquals(1, decoder.freeSlots());
  }
}
