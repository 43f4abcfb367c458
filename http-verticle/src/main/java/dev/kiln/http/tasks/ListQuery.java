package dev.kiln.http.tasks;

import dev.kiln.task.TaskStatus;
import dev.kiln.http.api.ApiException;
import dev.kiln.http.api.Cursor;
import io.vertx.ext.web.RoutingContext;
import dev.kiln.task.store.TaskFilter;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Set;
import java.util.UUID;

/** GET /tasks's query string, read strictly: every parameter known, typed and bounded. */
record ListQuery(String status, String toolAction, UUID batchId, String channel, OffsetDateTime createdAfter,
                 OffsetDateTime createdBefore, boolean deleted, int limit, OffsetDateTime cursorAt, UUID cursorId) {

  static final Set<String> PARAMS = Set.of("status", "tool_action", "batch_id", "channel", "created_after",
      "created_before", "deleted", "limit", "cursor");

  static ListQuery of(RoutingContext ctx) {
    var p = ctx.queryParams();
    for (String name : p.names()) {
      if (!PARAMS.contains(name)) throw ApiException.badRequest("unknown_parameter", "unknown query parameter '" + name + "'");
      if (p.getAll(name).size() > 1) throw ApiException.badRequest("invalid_parameter", "'" + name + "' given twice");
    }
    String status = p.get("status");
    if (status != null) {
      try {
        TaskStatus.of(status);
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("invalid_parameter", "unknown status '" + status + "'");
      }
      if (!status.equals(status.toLowerCase())) throw ApiException.badRequest("invalid_parameter", "status is lower case");
    }
    String toolAction = bounded(p.get("tool_action"), "tool_action", 64);
    String channel = bounded(p.get("channel"), "channel", 32);
    UUID batch = null;
    if (p.get("batch_id") != null) {
      try {
        batch = UUID.fromString(p.get("batch_id"));
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("invalid_parameter", "batch_id is not a UUID");
      }
    }
    boolean deleted = switch (p.get("deleted") == null ? "false" : p.get("deleted")) {
      case "true" -> true;
      case "false" -> false;
      default -> throw ApiException.badRequest("invalid_parameter", "deleted is true or false");
    };
    int limit = TaskRoutes.DEFAULT_PAGE;
    if (p.get("limit") != null) {
      try {
        limit = Integer.parseInt(p.get("limit"));
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > TaskRoutes.MAX_PAGE) {
        throw ApiException.badRequest("invalid_parameter", "limit is 1 to " + TaskRoutes.MAX_PAGE);
      }
    }
    Cursor cursor = Cursor.parse(p.get("cursor"));
    return new ListQuery(status, toolAction, batch, channel, time(p.get("created_after"), "created_after"),
        time(p.get("created_before"), "created_before"), deleted, limit,
        cursor == null ? null : cursor.createdAt(), cursor == null ? null : cursor.id());
  }

  /** As the task core's reads take it. */
  TaskFilter filter() {
    return new TaskFilter(status, toolAction, batchId, channel, createdAfter, createdBefore, deleted, limit, cursorAt, cursorId);
  }

  private static String bounded(String v, String name, int max) {
    if (v != null && (v.isEmpty() || v.length() > max || v.indexOf('\0') >= 0)) { // Postgres text cannot hold U+0000
      throw ApiException.badRequest("invalid_parameter", name + " is 1 to " + max + " characters");
    }
    return v;
  }

  private static OffsetDateTime time(String v, String name) {
    if (v == null) return null;
    try {
      return OffsetDateTime.parse(v);
    } catch (DateTimeParseException e) {
      throw ApiException.badRequest("invalid_parameter", name + " is an ISO-8601 time with offset, e.g. 2026-01-31T12:00:00Z");
    }
  }
}
