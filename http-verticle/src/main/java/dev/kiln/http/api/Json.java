package dev.kiln.http.api;

import dev.kiln.common.hash.Sha256;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/** Reading requests strictly: the body must be a JSON object of known fields with the right types. */
public final class Json {
  private Json() {}

  public static JsonObject body(RoutingContext ctx, Set<String> allowed) {
    String type = ctx.request().getHeader("Content-Type");
    if (type == null || !type.split(";", 2)[0].trim().equalsIgnoreCase("application/json")) {
      throw new ApiException(415, "unsupported_media_type", "Content-Type must be application/json");
    }
    Buffer raw = ctx.body().buffer();
    if (raw == null || raw.length() == 0) throw ApiException.badRequest("malformed_json", "the body is empty");
    Object parsed;
    try {
      strict(raw);
      parsed = io.vertx.core.json.Json.decodeValue(raw);
    } catch (DecodeException | java.io.IOException e) {
      throw ApiException.badRequest("malformed_json", "the body is not valid JSON");
    }
    if (!(parsed instanceof JsonObject o)) {
      throw ApiException.badRequest("malformed_json", "the body must be a JSON object");
    }
    if (!storable(o)) {
      throw ApiException.badRequest("malformed_json", "strings must be Unicode text without U+0000");
    }
    for (String k : o.fieldNames()) {
      if (!allowed.contains(k)) throw ApiException.invalid("unknown_field", "unknown field '" + k + "'");
    }
    return o;
  }

  /** SHA-256 of the request with every object's keys sorted: a repeat hashes alike, however its keys are ordered. */
  public static String requestHash(JsonObject body) {
    return Sha256.hex(((JsonObject) sorted(body)).encode());
  }

  private static Object sorted(Object v) {
    if (v instanceof JsonObject o) {
      TreeMap<String, Object> m = new TreeMap<>();
      for (String k : o.fieldNames()) m.put(k, sorted(o.getValue(k)));
      return new JsonObject(m);
    }
    if (v instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      for (Object x : a) out.add(sorted(x));
      return out;
    }
    return v;
  }

  /**
   * Vert.x's parser takes JSON with comments; RFC 8259 does not, and neither does Kiln. Jackson's
   * own defaults are strict: one pass over the tokens refuses what is not plain JSON.
   */
  private static void strict(Buffer raw) throws java.io.IOException {
    try (com.fasterxml.jackson.core.JsonParser p = STRICT.createParser(raw.getBytes())) {
      while (p.nextToken() != null) {
        // reading is checking
      }
    }
  }

  private static final com.fasterxml.jackson.core.JsonFactory STRICT = new com.fasterxml.jackson.core.JsonFactory();

  /**
   * Postgres jsonb refuses U+0000 (a 500 if it got that far) and stores an unpaired surrogate
   * as '?'; neither could be kept as sent, so both are refused here, in keys and values alike.
   */
  private static boolean storable(Object v) {
    if (v instanceof String s) return text(s);
    if (v instanceof JsonObject o) {
      for (Map.Entry<String, Object> e : o) {
        if (!text(e.getKey()) || !storable(e.getValue())) return false;
      }
    } else if (v instanceof JsonArray a) {
      for (Object x : a) {
        if (!storable(x)) return false;
      }
    }
    return true;
  }

  private static boolean text(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0 || Character.isLowSurrogate(c)) return false;
      if (Character.isHighSurrogate(c)) {
        if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) return false;
        i++;
      }
    }
    return true;
  }

  public static String requiredString(JsonObject o, String field, int maxLength) {
    Object v = o.getValue(field);
    if (v == null) throw ApiException.invalid("missing_field", "'" + field + "' is required");
    if (!(v instanceof String s)) throw ApiException.invalid("invalid_field", "'" + field + "' must be a string");
    if (s.isBlank() || s.length() > maxLength) {
      throw ApiException.invalid("invalid_field", "'" + field + "' must be 1 to " + maxLength + " characters");
    }
    return s;
  }

  public static int optionalInt(JsonObject o, String field, int dflt, int min, int max) {
    Object v = o.getValue(field);
    if (v == null) return dflt;
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min || ((Number) v).longValue() > max) {
      throw ApiException.invalid("invalid_field", "'" + field + "' must be a whole number from " + min + " to " + max);
    }
    return ((Number) v).intValue();
  }

  /** Absent or null: null (as for every optional field); else as {@link #requiredString}. */
  public static String optionalString(JsonObject o, String field, int maxLength) {
    return o.getValue(field) == null ? null : requiredString(o, field, maxLength);
  }

  public static JsonObject optionalObject(JsonObject o, String field) {
    Object v = o.getValue(field);
    if (v == null) return new JsonObject();
    if (!(v instanceof JsonObject j)) throw ApiException.invalid("invalid_field", "'" + field + "' must be an object");
    return j;
  }

  /** Answers with a JSON body. */
  public static void send(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  public static UUID pathId(RoutingContext ctx, String param) {
    try {
      return UUID.fromString(ctx.pathParam(param));
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_id", "'" + ctx.pathParam(param) + "' is not a UUID");
    }
  }
}
