package dev.kiln.http.api;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.UUID;

/**
 * A keyset page cursor: the exact (created_at, id) of the last row a page showed, opaque to
 * clients (base64url). Lists are newest first, so the next page is what sorts below it.
 */
public record Cursor(OffsetDateTime createdAt, UUID id) {

  public static String encode(OffsetDateTime createdAt, UUID id) {
    String raw = createdAt.toInstant() + "|" + id;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /** The cursor of a page's next position, or null on the last page. */
  public static String of(dev.kiln.task.store.Page.Position next) {
    return next == null ? null : encode(next.createdAt(), next.id());
  }

  /** The cursor in a query parameter, or null when there is none; a bad one is a 400. */
  public static Cursor parse(String value) {
    if (value == null) return null;
    try {
      String[] parts = new String(Base64.getUrlDecoder().decode(value), StandardCharsets.UTF_8).split("\\|");
      return new Cursor(Instant.parse(parts[0]).atOffset(ZoneOffset.UTC), UUID.fromString(parts[1]));
    } catch (RuntimeException e) {
      throw ApiException.badRequest("invalid_cursor", "cursor is not one this API gave out");
    }
  }
}
