package dev.kiln.http.auth;

import dev.kiln.common.hash.Sha256;
import dev.kiln.common.bus.Addresses;
import dev.kiln.http.api.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

/**
 * {@code Authorization: Bearer} for end users signed in by e-mail code: the token's SHA-256
 * names a live {@code user_sessions} row. Like API keys, a known token is trusted for
 * {@link ApiKeyAuth#CACHE_MILLIS} per node, and a logout is heard by every node at once.
 */
final class BearerAuth {
  private static final String FIND =
      "SELECT user_id, (extract(epoch FROM expires_at) * 1000)::bigint AS expires_ms FROM user_sessions "
          + "WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()";
  static final String CACHE_MAP = "kiln.auth.sessions";

  private final Pool pool;
  private final LocalMap<String, JsonObject> cache;

  BearerAuth(Vertx vertx, Pool pool) {
    this.pool = pool;
    this.cache = vertx.sharedData().getLocalMap(CACHE_MAP);
    vertx.eventBus().<JsonObject>consumer(Addresses.SESSIONS_REVOKED,
        m -> vertx.sharedData().<String, JsonObject>getLocalMap(CACHE_MAP).remove(m.body().getString("token_hash")));
  }

  /** The bearer token of the request, or null when it sends none. */
  static String token(RoutingContext ctx) {
    String h = ctx.request().getHeader("Authorization");
    if (h == null) return null;
    if (!h.regionMatches(true, 0, "Bearer ", 0, 7) || h.length() > 512) {
      throw new ApiException(401, "unauthorized", "Authorization must be 'Bearer <token>'");
    }
    return h.substring(7).trim();
  }

  Future<Caller> resolve(String token) {
    String hash = Sha256.hex(token);
    long now = System.currentTimeMillis();
    JsonObject hit = cache.get(hash);
    if (hit != null && hit.getLong("until") > now) return Future.succeededFuture(caller(hit.getString("user_id")));
    return pool.preparedQuery(FIND).execute(Tuple.of(hash)).compose(rows -> {
      if (rows.size() == 0) return Future.failedFuture(new ApiException(401, "unauthorized", "unknown, expired or revoked bearer token"));
      var r = rows.iterator().next();
      String user = r.getUUID("user_id").toString();
      cache.put(hash, new JsonObject().put("user_id", user).put("until", Math.min(now + ApiKeyAuth.CACHE_MILLIS, r.getLong("expires_ms"))));
      return Future.succeededFuture(caller(user));
    });
  }

  private static Caller caller(String userId) {
    return new Caller(SignIn.CLIENT_ID, SignIn.ROLE, userId);
  }
}
