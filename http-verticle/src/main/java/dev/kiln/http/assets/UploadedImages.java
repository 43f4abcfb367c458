package dev.kiln.http.assets;

import dev.kiln.common.image.BoundedImageDecoder;
import dev.kiln.http.api.ApiException;
import java.util.Locale;

/** How an uploaded image (a file, a model's preview) is proved to be one. Blocking. */
public final class UploadedImages {
  private UploadedImages() {}

  /**
   * The image's header, once it has decoded whole as the type it was sent as ({@code png} or
   * {@code jpg}) and within the node's image limits; else a 422, or a 503 while every decode slot
   * of the node is taken.
   */
  public static BoundedImageDecoder.Header check(BoundedImageDecoder decoder, byte[] bytes, String ext) {
    try {
      BoundedImageDecoder.Header header = decoder.header(bytes);
      String format = header.format().equals("jpeg") ? "jpg" : header.format();
      if (!format.equals(ext)) {
        throw ApiException.invalid("invalid_image", "the body is a " + header.format().toUpperCase(Locale.ROOT)
            + " image, not what its Content-Type says");
      }
      return decoder.decode(bytes, BoundedImageDecoder.Wait.REFUSE).header();
    } catch (BoundedImageDecoder.Rejected e) {
      if (e.reason() == BoundedImageDecoder.Reason.TOO_LARGE) throw ApiException.invalid("image_too_large", e.getMessage());
      throw ApiException.invalid("invalid_image", "the body is not a whole PNG or JPEG image: " + e.getMessage());
    } catch (BoundedImageDecoder.Busy e) {
      // Refused, not queued: a queue would hold each waiting upload's body, and a worker thread, for as long.
      throw new ApiException(503, "service_unavailable", e.getMessage() + ", retry shortly");
    }
  }
}
