package dev.kiln.http.models;

import dev.kiln.http.api.ApiException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.UUID;

/**
 * The gallery's two orders (seed 003's two indexes) and their keyset cursors: {@code latest} is
 * (published_at, id) newest first, {@code popular} is (like_count, published_at, id) most liked
 * first. A cursor holds the exact sort key of the last model a page showed, and its order: one
 * order's cursor is refused by the other.
 */
enum GallerySort {
  LATEST("latest"),
  POPULAR("popular");

  final String word;

  GallerySort(String word) {
    this.word = word;
  }

  static GallerySort of(String word) {
    if (word == null) return LATEST;
    for (GallerySort s : values()) {
      if (s.word.equals(word)) return s;
    }
    throw ApiException.badRequest("invalid_parameter", "sort is latest or popular");
  }

  /** Where a page stopped: the last model's sort key (likes only in popular order). */
  record Position(int likes, OffsetDateTime publishedAt, UUID id) {}

  String encode(Position p) {
    String raw = word + "|" + p.likes() + "|" + p.publishedAt().toInstant() + "|" + p.id();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /** The cursor of a parameter, null when none; a bad one, or one of the other order, is a 400. */
  Position decode(String cursor) {
    if (cursor == null) return null;
    try {
      String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|", -1);
      if (parts.length != 4 || !parts[0].equals(word)) throw new IllegalArgumentException("not this order's");
      int likes = Integer.parseInt(parts[1]);
      if (likes < 0) throw new IllegalArgumentException("negative");
      return new Position(likes, Instant.parse(parts[2]).atOffset(ZoneOffset.UTC), UUID.fromString(parts[3]));
    } catch (RuntimeException e) {
      throw ApiException.badRequest("invalid_cursor", "cursor is not one this gallery order gave out");
    }
  }
}
