package dev.kiln.http.admin;

import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Json;
import dev.kiln.task.store.Usage;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Set;

/**
 * {@code GET /api/v1/admin/usage?from=&to=} (issue 13): what the attempts that ended in [from, to)
 * cost, in GPU seconds, attempts and tasks, in all, by tenant and by tool_action. Admin clients
 * only (the {@code /admin/*} guard).
 */
public final class UsageRoutes {
  /**
   * The longest span one question may cover: a quarter. Longer reports are the sum of quarters;
   * a bound keeps one admin's question from reading years of executions at once.
   */
  static final Duration MAX_SPAN = Duration.ofDays(92);
  private static final Set<String> PARAMS = Set.of("from", "to");

  private final Usage usage;

  public UsageRoutes(Usage usage) {
    this.usage = usage;
  }

  public void mount(Router api) {
    api.get("/admin/usage").handler(this::usage);
  }

  private void usage(RoutingContext ctx) {
    MultiMap p = ctx.queryParams();
    for (String name : p.names()) {
      if (!PARAMS.contains(name)) throw ApiException.badRequest("unknown_parameter", "unknown query parameter '" + name + "'");
      if (p.getAll(name).size() > 1) throw ApiException.badRequest("invalid_parameter", "'" + name + "' given twice");
    }
    Instant from = instant(p, "from");
    Instant to = instant(p, "to");
    if (!from.isBefore(to)) throw ApiException.badRequest("invalid_range", "from must be before to");
    if (Duration.between(from, to).compareTo(MAX_SPAN) > 0) {
      throw ApiException.badRequest("range_too_long", "from and to may be at most " + MAX_SPAN.toDays() + " days apart");
    }
    usage.between(from.atOffset(ZoneOffset.UTC), to.atOffset(ZoneOffset.UTC))
        .onSuccess(sums -> Json.send(ctx, 200, sums.put("from", from.toString()).put("to", to.toString())))
        .onFailure(ctx::fail);
  }

  /** An ISO-8601 instant with its offset ({@code 2026-01-01T00:00:00Z}, {@code ...+02:00}); required. */
  private static Instant instant(MultiMap p, String name) {
    String v = p.get(name);
    if (v == null) throw ApiException.badRequest("missing_parameter", "'" + name + "' is required (an ISO-8601 instant)");
    try {
      Instant at = java.time.OffsetDateTime.parse(v).toInstant();
      // PostgreSQL's timestamptz ends at year 294276; years past 9999 are not a span anyone bills
      if (at.atOffset(ZoneOffset.UTC).getYear() < 1 || at.atOffset(ZoneOffset.UTC).getYear() > 9999) throw new DateTimeParseException("", v, 0);
      return at;
    } catch (DateTimeParseException e) {
      throw ApiException.badRequest("invalid_parameter", "'" + name + "' is not an ISO-8601 instant with an offset, such as 2026-01-01T00:00:00Z");
    }
  }
}
