package dev.kiln.http.api;

import io.vertx.core.MultiMap;
import java.util.Set;

/** The query string of a keyset-paged list (models, gallery, history, generation requests), read strictly: every parameter known and given once, limit 1 to 100. */
public final class ListParams {
  public static final int DEFAULT_LIMIT = 20;
  public static final int MAX_LIMIT = 100;

  private ListParams() {}

  /** The page size; refuses a parameter not in {@code known}, or one given twice. */
  public static int limit(MultiMap p, Set<String> known) {
    for (String name : p.names()) {
      if (!known.contains(name)) throw ApiException.badRequest("unknown_parameter", "unknown query parameter '" + name + "'");
      if (p.getAll(name).size() > 1) throw ApiException.badRequest("invalid_parameter", "'" + name + "' given twice");
    }
    if (p.get("limit") == null) return DEFAULT_LIMIT;
    int limit;
    try {
      limit = Integer.parseInt(p.get("limit"));
    } catch (NumberFormatException e) {
      limit = 0;
    }
    if (limit < 1 || limit > MAX_LIMIT) throw ApiException.badRequest("invalid_parameter", "limit is 1 to " + MAX_LIMIT);
    return limit;
  }

  /** A route that takes no query string refuses one, so a typo is not silently ignored. */
  public static void none(MultiMap p) {
    for (String name : p.names()) {
      throw ApiException.badRequest("unknown_parameter", "unknown query parameter '" + name + "'");
    }
  }
}
