package dev.kiln.task.store;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/**
 * One page of a newest-first list, keyset-paginated on (created_at, id): {@code next} is where
 * the next page starts (the exact position of the last item shown), null on the last page.
 */
public record Page<T>(List<T> items, Position next) {
  public record Position(OffsetDateTime createdAt, UUID id) {}
}
