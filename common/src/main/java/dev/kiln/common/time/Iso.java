package dev.kiln.common.time;

import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;

/** Times as the API writes them: ISO-8601 UTC with millisecond precision (DESIGN §7). */
public final class Iso {
  private Iso() {}

  /** {@code 2026-12-01T21:35:30.123Z}, or null for null. */
  public static String of(OffsetDateTime t) {
    return t == null ? null : t.toInstant().truncatedTo(ChronoUnit.MILLIS).toString();
  }
}
